// name: roots
// mode: read
// params: ref
// Where a lineage query starts: the node itself, or for a dataset:<name> ref every snapshot of
// that dataset (the Dataset itself is not part of the lineage graph). The Dataset's own row has a
// null id: it tells a dataset without snapshots from an unknown ref (no row at all: NOT_FOUND).
CALL () {
  MATCH (n:Run {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:FeatureDefinition {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:Model {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:EvaluationReport {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (:Dataset {ref: $ref}) RETURN null AS root
  UNION ALL
  MATCH (:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(n:DatasetSnapshot) RETURN n AS root
}
RETURN elementId(root) AS id,
       root.ref AS ref,
       root.kind AS kind,
       root.name AS name,
       root.version AS version
