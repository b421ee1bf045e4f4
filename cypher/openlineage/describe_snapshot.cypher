// name: describe_snapshot
// mode: read
// params: ref
// A snapshot with its dataset, producer and readers (tests and debugging).
MATCH (s:DatasetSnapshot {ref: $ref})
OPTIONAL MATCH (s)-[:SNAPSHOT_OF]->(d:Dataset)
CALL (s) {
  OPTIONAL MATCH (p:Run)-[:PRODUCED]->(s)
  RETURN collect(p.ref) AS producers
}
CALL (s) {
  OPTIONAL MATCH (x:Run)-[:CONSUMED]->(s)
  RETURN collect(x.ref) AS readers
}
RETURN properties(s) AS snapshot, d.ref AS dataset, producers, readers
