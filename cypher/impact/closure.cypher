// name: closure
// mode: read
// params: ref, limit
// Impact: the whole downstream closure of a node, each item at its shortest distance; for a
// dataset:<name> ref the union over all its snapshots (distance from the nearest). Anchored on
// label + unique ref; breadth-first with pruning over the FLOWS_TO mirror (each node once, never
// once per path); the lineage graph is a DAG (cycles are refused at write time), so it ends.
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
RETURN b.ref AS ref, b.kind AS kind, b.name AS name, b.version AS version, depth
ORDER BY depth, ref
LIMIT $limit
