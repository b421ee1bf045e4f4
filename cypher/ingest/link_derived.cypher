// name: link_derived
// mode: write
// params: rows
// (FeatureDefinition)-[:DERIVED_FROM]->(snapshot or feature) plus its FLOWS_TO mirror
// source->feature.
UNWIND $rows AS row
MATCH (f:FeatureDefinition {ref: row.feature})
CALL (row) {
  MATCH (s:DatasetSnapshot {ref: row.source}) RETURN s
  UNION ALL
  MATCH (s:FeatureDefinition {ref: row.source}) RETURN s
}
MERGE (f)-[:DERIVED_FROM]->(s)
MERGE (s)-[m:FLOWS_TO]->(f)
  ON CREATE SET m.kind = 'DERIVED_FROM'
RETURN count(f) AS written
