// name: settle_outputs
// mode: write
// params: run, completedAt
// Once a run has COMPLETEd, everything it produced is available from that moment on (the
// earliest COMPLETE eventTime); until then its own outputs stay PENDING. Returns the snapshots
// whose production time moved, so the caller can bind the readers that came after it.
MATCH (r:Run {ref: $run})-[:PRODUCED]->(s:DatasetSnapshot)
WITH s, s.olProducedAt AS before
SET s.olProducedAt = coalesce($completedAt, s.olProducedAt),
    s.status = CASE WHEN $completedAt IS NULL THEN s.status ELSE 'AVAILABLE' END
RETURN s.ref AS ref, before, s.olProducedAt AS after
