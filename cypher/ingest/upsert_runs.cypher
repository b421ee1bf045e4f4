// name: upsert_runs
// mode: write
// params: rows
// run_started, merged by ref so that a replay changes nothing. The start time only ever moves
// earlier and the status is set only while there is none, so a start arriving after the finish
// (out of order) does not turn a finished run back to RUNNING. Provenance given replaces what
// was stored; provenance not given keeps it.
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
UNWIND $rows AS row
WITH row, datetime(row.time) AS time
MERGE (r:Run {ref: row.ref})
  ON CREATE SET r.kind = 'RUN', r.createdAt = datetime(row.createdAt)
SET r.name = row.name,
    r.status = coalesce(r.status, 'RUNNING'),
    r.startTime = CASE
      WHEN r.startTime IS NULL OR time < r.startTime THEN time
      ELSE r.startTime
    END,
    r.codeJson = coalesce(row.codeJson, r.codeJson),
    r.environmentJson = coalesce(row.environmentJson, r.environmentJson),
    r.hardwareJson = coalesce(row.hardwareJson, r.hardwareJson),
    r.seedsJson = coalesce(row.seedsJson, r.seedsJson),
    r.configJson = coalesce(row.configJson, r.configJson),
    r.dataFiltersJson = coalesce(row.dataFiltersJson, r.dataFiltersJson),
    r.user = coalesce(row.user, r.user),
    r.command = coalesce(row.command, r.command),
    r.codeCommit = coalesce(row.codeCommit, r.codeCommit),
    r.codeDirty = coalesce(row.codeDirty, r.codeDirty),
    r.codeDiffDigest = coalesce(row.codeDiffDigest, r.codeDiffDigest),
    r.jobNamespace = coalesce(row.jobNamespace, r.jobNamespace),
    r.jobName = coalesce(row.jobName, r.jobName)
RETURN count(r) AS written
