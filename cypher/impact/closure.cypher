// name: closure
// mode: read
// params: ref, limit
// Impact: the whole downstream closure of a node, each item at its shortest distance; for a
// dataset:<name> ref the union over all its snapshots (distance from the nearest). Anchored on
// label + unique ref; breadth-first with pruning over the FLOWS_TO mirror (each node once, never
// once per path); the lineage graph is a DAG (cycles are refused at write time), so it ends.
// One row holding a list of [ref, kind, name, version, depth] lists, nearest first (ordered before
// collect; a list keeps its nulls where collect of a bare null would drop it): one Bolt record
// instead of one per node, which the driver decodes several times faster (empty closure: []).
CALL () {
  MATCH (a:Run {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:DatasetSnapshot {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: $ref}) RETURN a
  UNION ALL
  MATCH (:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(a:DatasetSnapshot) RETURN a
}
MATCH p = (a)-[:FLOWS_TO*]->(b)
WITH b, min(length(p)) AS depth
ORDER BY depth, b.ref
LIMIT $limit
RETURN collect([b.ref, b.kind, b.name, b.version, depth]) AS rows
