// name: write_nodes
// mode: write
// params: runs, snapshots, features, models, reports
// `CYPHER replan=skip`: a cached plan is kept when the graph's statistics drift (every lookup
// is a unique-ref seek driven by the UNWIND, so the plan does not depend on them; planning this
// statement again cost seconds on a loaded box while the graph was young).
// The nodes of one ingest batch in one statement (one round trip instead of five), each kind an
// UNWIND over its rows in a unit subquery; a part whose list is empty does nothing. The caller
// always sends every list (empty ones too), so the parameter shape and the cached plan stay the
// same. The planner (graph/ingest_plan.py) checked every rule before. Times arrive as ISO 8601
// text (graph/ingest.py _wire) and are stored as DateTime. Kept to nodes only: a statement of
// every write kind took Neo4j 2-10 s to plan again whenever statistics drifted.
CYPHER replan=skip

// runs: run_started, merged by ref so that a replay changes nothing. The start time only ever
// moves earlier and the status is set only while there is none, so a start arriving after the
// finish (out of order) does not turn a finished run back to RUNNING. `row.props` holds the
// provenance given (only non-null values): given replaces what was stored, not given keeps it.
CALL () {
  UNWIND $runs AS row
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
}
// Registrations (checked before: a new ref, or the same digest). Immutable once written: an
// existing artifact only moves from PENDING to AVAILABLE. A snapshot is attached to its Dataset.
CALL () {
  UNWIND $snapshots AS row
  MERGE (d:Dataset {ref: row.datasetRef})
    ON CREATE SET d.kind = 'DATASET', d.name = row.name, d.createdAt = datetime(row.createdAt)
  MERGE (s:DatasetSnapshot {ref: row.ref})
    ON CREATE SET s += row.props,
                  s.kind = 'DATASET_SNAPSHOT',
                  s.name = row.name,
                  s.version = row.version,
                  s.createdAt = datetime(row.createdAt)
    ON MATCH SET s.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE s.status END
  MERGE (s)-[:SNAPSHOT_OF]->(d)
}
CALL () {
  UNWIND $features AS row
  MERGE (a:FeatureDefinition {ref: row.ref})
    ON CREATE SET a += row.props,
                  a.kind = 'FEATURE_DEFINITION',
                  a.name = row.name,
                  a.version = row.version,
                  a.createdAt = datetime(row.createdAt)
    ON MATCH SET a.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE a.status END
}
CALL () {
  UNWIND $models AS row
  MERGE (a:Model {ref: row.ref})
    ON CREATE SET a += row.props,
                  a.kind = 'MODEL',
                  a.name = row.name,
                  a.version = row.version,
                  a.createdAt = datetime(row.createdAt)
    ON MATCH SET a.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE a.status END
}
CALL () {
  UNWIND $reports AS row
  MERGE (a:EvaluationReport {ref: row.ref})
    ON CREATE SET a += row.props,
                  a.kind = 'EVALUATION_REPORT',
                  a.name = row.name,
                  a.version = row.version,
                  a.createdAt = datetime(row.createdAt)
    ON MATCH SET a.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE a.status END
}
RETURN size($runs) + size($snapshots) + size($features) + size($models) + size($reports) AS written
