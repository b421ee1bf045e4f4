// name: upsert_runs
// mode: write
// params: rows
// run_started, merged by ref so that a replay changes nothing. The start time only ever moves
// earlier and the status is set only while there is none, so a start arriving after the finish
// (out of order) does not turn a finished run back to RUNNING. `row.props` holds the provenance
// given (only non-null values): given replaces what was stored, not given keeps it (`+=`).
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
UNWIND $rows AS row
WITH row, datetime(row.time) AS time
MERGE (r:Run {ref: row.ref})
  ON CREATE SET r += row.props,
                r.kind = 'RUN',
                r.createdAt = datetime(row.createdAt),
                r.name = row.name,
                r.status = 'RUNNING',
                r.startTime = time
  ON MATCH SET r += row.props,
               r.name = row.name,
               r.status = coalesce(r.status, 'RUNNING'),
               r.startTime = CASE
                 WHEN r.startTime IS NULL OR time < r.startTime THEN time
                 ELSE r.startTime
               END
RETURN count(r) AS written
