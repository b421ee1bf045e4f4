// name: version_numbers
// mode: read
// params: rows
// For artifacts registered without a version: the highest numeric version of that kind and name
// so far, and the version an earlier delivery of the same event already got (a replay must get
// the same one, not the next).
UNWIND $rows AS row
CALL (row) {
  MATCH (n:DatasetSnapshot {name: row.name}) WHERE row.kind = 'DATASET_SNAPSHOT' RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {name: row.name}) WHERE row.kind = 'FEATURE_DEFINITION' RETURN n
  UNION ALL
  MATCH (n:Model {name: row.name}) WHERE row.kind = 'MODEL' RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {name: row.name}) WHERE row.kind = 'EVALUATION_REPORT' RETURN n
}
RETURN row.kind AS kind,
       row.name AS name,
       row.eventId AS eventId,
       max(toInteger(n.version)) AS highest,
       head(collect(CASE WHEN n.registeredBy = row.eventId THEN n.version END)) AS mine
