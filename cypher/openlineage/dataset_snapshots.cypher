// name: dataset_snapshots
// mode: read
// params: ref
// The snapshots of a dataset, with their producer and readers, oldest first (tests, debugging).
MATCH (d:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(s:DatasetSnapshot)
CALL (s) {
  OPTIONAL MATCH (p:Run)-[:PRODUCED]->(s)
  RETURN collect(p.ref) AS producers
}
CALL (s) {
  OPTIONAL MATCH (x:Run)-[:CONSUMED]->(s)
  RETURN collect(x.ref) AS readers
}
RETURN s.ref AS ref, s.status AS status, s.olOrigin AS origin, producers, readers
ORDER BY coalesce(s.olProducedAt, s.createdAt), s.ref
