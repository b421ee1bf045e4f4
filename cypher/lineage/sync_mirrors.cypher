// name: sync_mirrors
// mode: write
// params: refs
// Repairs the FLOWS_TO mirror around the given nodes: adds the mirror of every lineage edge
// touching them and removes mirrors whose lineage edge is gone. For writers that add or move
// CONSUMED/PRODUCED/DERIVED_FROM/EVALUATES edges with their own statements (GraphStore
// .sync_flow_mirrors); the store's own link statements write the mirror with the edge.
UNWIND $refs AS ref
CALL (ref) {
  MATCH (n:Run {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:Model {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {ref: ref}) RETURN n
}
CALL (n) {
  MATCH (n)-[f:FLOWS_TO]-(m)
  WITH f, startNode(f) AS u, endNode(f) AS v
  WHERE NOT (
    (f.kind = 'CONSUMED' AND (v)-[:CONSUMED]->(u)) OR
    (f.kind = 'PRODUCED' AND (u)-[:PRODUCED]->(v)) OR
    (f.kind = 'DERIVED_FROM' AND (v)-[:DERIVED_FROM]->(u)) OR
    (f.kind = 'EVALUATES' AND (v)-[:EVALUATES]->(u))
  )
  DELETE f
}
CALL (n) {
  MATCH (r:Run)-[:CONSUMED]->(a) WHERE r = n OR a = n
  MERGE (a)-[f:FLOWS_TO]->(r) ON CREATE SET f.kind = 'CONSUMED'
}
CALL (n) {
  MATCH (r:Run)-[:PRODUCED]->(a) WHERE r = n OR a = n
  MERGE (r)-[f:FLOWS_TO]->(a) ON CREATE SET f.kind = 'PRODUCED'
}
CALL (n) {
  MATCH (d)-[:DERIVED_FROM]->(s) WHERE d = n OR s = n
  MERGE (s)-[f:FLOWS_TO]->(d) ON CREATE SET f.kind = 'DERIVED_FROM'
}
CALL (n) {
  MATCH (e)-[:EVALUATES]->(m) WHERE e = n OR m = n
  MERGE (m)-[f:FLOWS_TO]->(e) ON CREATE SET f.kind = 'EVALUATES'
}
RETURN count(n) AS synced
