// name: mark
// mode: write
// params: rows
// Marks artifacts deprecated: who (token name), when (server time), why, the sunset date (ISO
// text) and the replacement ref. A second deprecation of the same artifact replaces the first.
// Deprecation is a property of the node only: it never touches a lineage edge, so the FLOWS_TO
// mirror is unaffected.
UNWIND $rows AS row
CALL (row) {
  MATCH (a:DatasetSnapshot {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: row.ref}) RETURN a
}
SET a.deprecated = true,
    a.deprecatedAt = row.at,
    a.deprecatedBy = row.by,
    a.deprecationReason = row.reason,
    a.deprecationSunset = row.sunset,
    a.deprecationReplacement = row.replacement
RETURN a.ref AS ref
ORDER BY ref
