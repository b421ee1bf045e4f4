// name: merge_tags
// mode: write
// params: rows
// Merges tags into a run's parallel key/value arrays (Neo4j properties hold no maps). One row per
// run (the caller merges a batch's events first). The SET/REMOVE pair takes the run's write lock
// and leaves the node as it was: the arrays read next are the committed ones, a concurrent merge
// is not lost, and a replay changes nothing.
UNWIND $rows AS row
MATCH (r:Run {ref: row.ref})
SET r.lineageLock = true
REMOVE r.lineageLock
WITH r, row, coalesce(r.tagKeys, []) AS oldKeys, coalesce(r.tagValues, []) AS oldValues
WITH r, row, oldKeys, oldValues,
     [i IN range(0, size(oldKeys) - 1) WHERE NOT oldKeys[i] IN row.keys] AS keep
SET r.tagKeys = [i IN keep | oldKeys[i]] + row.keys,
    r.tagValues = [i IN keep | oldValues[i]] + row.values
RETURN count(r) AS written
