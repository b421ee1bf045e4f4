// name: find_time_targets
// mode: read
// params: run, datasets, boundAt
// For each dataset a run reads without naming a version (those of this event and those it already
// reads by time), the snapshot it should read: the latest one produced before the run started
// (`boundAt`), not written by the run itself; null when none is known (the caller then uses the
// dataset's placeholder). Production time is the producing run's completion for OpenLineage
// snapshots and the registration time for snapshots registered through the SDK or GraphQL.
// Also returns the snapshots the run currently reads by time, so the caller can move the edge.
MATCH (x:Run {ref: $run})
CALL (x) {
  UNWIND $datasets AS dataset
  RETURN dataset
  UNION
  MATCH (x)-[:CONSUMED {olBinding: 'time'}]->(:DatasetSnapshot)-[:SNAPSHOT_OF]->(d:Dataset)
  RETURN d.ref AS dataset
}
OPTIONAL MATCH (d:Dataset {ref: dataset})
CALL (x, d) {
  OPTIONAL MATCH (d)<-[:SNAPSHOT_OF]-(s:DatasetSnapshot)
  WHERE (s.olProducedAt < $boundAt
         OR (s.olOrigin IS NULL AND s.status = 'AVAILABLE' AND s.createdAt < $boundAt))
    AND NOT (x)-[:PRODUCED]->(s)
  WITH s
  ORDER BY coalesce(s.olProducedAt, s.createdAt) DESC, s.ref DESC
  LIMIT 1
  RETURN s.ref AS target
}
CALL (x, d) {
  OPTIONAL MATCH (x)-[:CONSUMED {olBinding: 'time'}]->(cur:DatasetSnapshot)-[:SNAPSHOT_OF]->(d)
  RETURN collect(cur.ref) AS current
}
RETURN dataset, d.olNamespace AS namespace, d.olName AS sourceName, target, current
