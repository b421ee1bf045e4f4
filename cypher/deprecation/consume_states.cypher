// name: consume_states
// mode: read
// params: refs
// The deprecation of artifacts a batch consumes (the ingest's consume rule, warn or block).
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
WITH ref, a
WHERE a.deprecated = true
RETURN ref, a.deprecationReason AS reason, a.deprecationSunset AS sunset,
       a.deprecationReplacement AS replacement
