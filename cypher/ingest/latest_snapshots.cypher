// name: latest_snapshots
// mode: read
// params: refs
// For each dataset:<name> ref, the snapshot such a ref binds to: the latest registered one whose
// bytes are not still pending. A dataset without one gives a null `latest`.
UNWIND $refs AS ref
MATCH (d:Dataset {ref: ref})
CALL (d) {
  OPTIONAL MATCH (d)<-[:SNAPSHOT_OF]-(s:DatasetSnapshot)
  WHERE coalesce(s.status, 'AVAILABLE') <> 'PENDING'
  WITH s
  ORDER BY s.createdAt DESC, s.ref DESC
  LIMIT 1
  RETURN s
}
RETURN ref, s.ref AS latest, s.createdAt AS createdAt
