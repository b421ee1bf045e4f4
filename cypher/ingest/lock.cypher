// name: lock
// mode: write
// params: none
// `CYPHER replan=skip`: one unique-id MERGE, a plan that statistics do not change (while the
// graph was young Neo4j planned it again every few batches, up to 0.9 s each on a loaded box).
// Takes the one lineage write lock. Every batch that registers artifacts, starts runs or adds
// lineage edges holds it from before it reads the graph until it commits, so the checks it makes
// (digest unchanged, one producer, no cycle, next model version) cannot race a concurrent batch.
// Metric-only batches never take it. SET/REMOVE takes the node's write lock and changes nothing.
CYPHER replan=skip
MERGE (l:LineageLock {id: 'lineage'})
SET l.held = true
REMOVE l.held
RETURN l.id AS id
