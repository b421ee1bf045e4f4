// name: targets
// mode: read
// params: ref
// What a deprecation names: the artifact itself, or for a dataset:<name> ref every snapshot of
// the dataset. The Dataset's own row (null target) tells a dataset without snapshots from an
// unknown ref (no row at all: NOT_FOUND). Runs cannot be deprecated.
CALL () {
  MATCH (a:DatasetSnapshot {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: $ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: $ref}) RETURN a
  UNION ALL
  MATCH (:Dataset {ref: $ref}) RETURN null AS a
  UNION ALL
  MATCH (:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(a:DatasetSnapshot) RETURN a
}
RETURN a.ref AS ref, a.kind AS kind
ORDER BY ref
