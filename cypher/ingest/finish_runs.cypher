// name: finish_runs
// mode: write
// params: rows
// run_finished: the latest finish by event time wins, so replays and late duplicates change
// nothing and the order of arrival does not matter.
UNWIND $rows AS row
MATCH (r:Run {ref: row.ref})
WITH r, row
WHERE r.endTime IS NULL OR row.time >= r.endTime
SET r.status = row.status,
    r.endTime = row.time,
    r.errorType = row.errorType,
    r.errorMessage = row.errorMessage
RETURN count(r) AS written
