// name: artifact_producers
// mode: read
// params: refs
// DataLoader batch: the run that produced each artifact,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
CALL (ref) {
  MATCH (a:DatasetSnapshot {ref: ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: ref}) RETURN a
}
MATCH (a)<-[:PRODUCED]-(m:Run)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
