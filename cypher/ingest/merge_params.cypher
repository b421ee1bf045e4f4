// name: merge_params
// mode: write
// params: rows
// Merges logged parameters into a run's parallel arrays of names and JSON-encoded values, like
// merge_tags: one row per run, lock first, then read and write.
UNWIND $rows AS row
MATCH (r:Run {ref: row.ref})
SET r.lineageLock = true
REMOVE r.lineageLock
WITH r, row, coalesce(r.paramKeys, []) AS oldKeys, coalesce(r.paramValues, []) AS oldValues
WITH r, row, oldKeys, oldValues,
     [i IN range(0, size(oldKeys) - 1) WHERE NOT oldKeys[i] IN row.keys] AS keep
SET r.paramKeys = [i IN keep | oldKeys[i]] + row.keys,
    r.paramValues = [i IN keep | oldValues[i]] + row.values
RETURN count(r) AS written
