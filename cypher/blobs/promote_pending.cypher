// name: promote_pending
// mode: write
// params: blobs
// The one change an artifact's status may make: PENDING -> AVAILABLE, once the service has proven
// the blob ({digest, uri}: commitUpload, or a registration that finds it proven). Only stored
// artifacts (not references) whose uri is that blob's address are promoted; never back.
// Takes the lineage lock first, like every registration batch, so it cannot interleave with one.
MERGE (l:LineageLock {id: 'lineage'})
SET l.held = true
REMOVE l.held
WITH l
UNWIND $blobs AS b
CALL (b) {
  MATCH (n:Model {digest: b.digest}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {digest: b.digest}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {digest: b.digest}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {digest: b.digest}) RETURN n
}
WITH b, n
WHERE n.status = 'PENDING' AND coalesce(n.isReference, false) = false AND n.uri = b.uri
SET n.status = 'AVAILABLE'
RETURN n.ref AS ref
