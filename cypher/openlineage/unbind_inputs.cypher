// name: unbind_inputs
// mode: write
// params: run, refs
// Removes the run's by-time CONSUMED edges to these snapshots: the run now reads another snapshot
// of the same dataset (an earlier event of the run arrived late and moved its start).
MATCH (x:Run {ref: $run})-[c:CONSUMED {olBinding: 'time'}]->(s:DatasetSnapshot)
WHERE s.ref IN $refs
DELETE c
RETURN count(c) AS removed
