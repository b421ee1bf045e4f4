// name: derived_features
// mode: read
// params: refs
// DataLoader batch: the feature definitions derived from each snapshot or feature,
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
MATCH (a)<-[:DERIVED_FROM]-(m:FeatureDefinition)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
