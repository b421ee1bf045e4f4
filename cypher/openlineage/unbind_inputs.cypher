// name: unbind_inputs
// mode: write
// params: run, refs
// Removes the run's by-time CONSUMED edges to these snapshots: the run now reads another snapshot
// of the same dataset (an earlier event of the run arrived late and moved its start), and their
// FLOWS_TO mirrors.
MATCH (x:Run {ref: $run})-[c:CONSUMED {olBinding: 'time'}]->(s:DatasetSnapshot)
WHERE s.ref IN $refs
OPTIONAL MATCH (s)-[f:FLOWS_TO {kind: 'CONSUMED'}]->(x)
DELETE c, f
RETURN count(c) AS removed
