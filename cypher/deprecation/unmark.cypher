// name: unmark
// mode: write
// params: refs
// Reverses a deprecation: removes every deprecation property (absent properties cost nothing).
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
WITH a, a.deprecated = true AS was
REMOVE a.deprecated, a.deprecatedAt, a.deprecatedBy, a.deprecationReason,
       a.deprecationSunset, a.deprecationReplacement
RETURN a.ref AS ref, was
ORDER BY ref
