// name: finish_runs
// mode: write
// params: rows
// `CYPHER replan=skip`: a unique-ref seek per row, a plan that statistics do not change.
// run_finished: the latest finish by event time wins, so replays and late duplicates change
// nothing and the order of arrival does not matter.
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
CYPHER replan=skip
UNWIND $rows AS row
MATCH (r:Run {ref: row.ref})
WITH r, row, datetime(row.time) AS time
WHERE r.endTime IS NULL OR time >= r.endTime
SET r.status = row.status,
    r.endTime = time,
    r.errorType = row.errorType,
    r.errorMessage = row.errorMessage
RETURN count(r) AS written
