// name: lock
// mode: write
// params: none
// Takes the one lineage write lock. Every batch that registers artifacts, starts runs or adds
// lineage edges holds it from before it reads the graph until it commits, so the checks it makes
// (digest unchanged, one producer, no cycle, next model version) cannot race a concurrent batch.
// Metric-only batches never take it. SET/REMOVE takes the node's write lock and changes nothing.
MERGE (l:LineageLock {id: 'lineage'})
SET l.held = true
REMOVE l.held
RETURN l.id AS id
