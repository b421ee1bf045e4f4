// name: rebind_readers
// mode: write
// params: snapshot, producedAt
// A snapshot became available at `producedAt` (its producer's COMPLETE arrived): every run that
// reads the same dataset by time, started after that, and reads an older snapshot or the
// placeholder now reads this one. Returns the snapshots the readers left (emptied placeholders
// are then merged into this snapshot). In order, no reader matches and nothing moves.
MATCH (s:DatasetSnapshot {ref: $snapshot})-[:SNAPSHOT_OF]->(d:Dataset)
MATCH (d)<-[:SNAPSHOT_OF]-(cur:DatasetSnapshot)<-[c:CONSUMED {olBinding: 'time'}]-(x:Run)
WHERE cur <> s
  AND c.olBoundAt > $producedAt
  AND (cur.olOrigin = 'placeholder'
       OR coalesce(cur.olProducedAt, cur.createdAt) < $producedAt)
  AND NOT (x)-[:PRODUCED]->(s)
MERGE (x)-[n:CONSUMED]->(s)
  ON CREATE SET n.olBinding = 'time', n.olBoundAt = c.olBoundAt
DELETE c
RETURN DISTINCT cur.ref AS left
