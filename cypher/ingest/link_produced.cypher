// name: link_produced
// mode: write
// params: rows
// (Run)-[:PRODUCED]->(artifact) plus its FLOWS_TO mirror run->artifact (checked before: the
// artifact has no other producer and the edge closes no cycle).
UNWIND $rows AS row
MATCH (r:Run {ref: row.run})
CALL (row) {
  MATCH (a:DatasetSnapshot {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: row.ref}) RETURN a
}
MERGE (r)-[:PRODUCED]->(a)
MERGE (r)-[f:FLOWS_TO]->(a)
  ON CREATE SET f.kind = 'PRODUCED'
RETURN count(a) AS written
