// name: write_batch
// mode: write
// params: runs, parents, snapshots, features, models, reports, produced, derived, evaluates, consumed, finishes, tags, params, metrics
// Every write of one ingest batch in one statement (one round trip instead of one per kind
// of change), each kind of change an UNWIND over its rows, in dependency order: a later part
// sees what an earlier one wrote. The planner (graph/ingest_plan.py) checked every rule
// before; a part whose list is empty does nothing. Times arrive as ISO 8601 text
// (graph/ingest.py _wire) and are stored as DateTime.

// --- $runs (upsert runs) ---
// run_started, merged by ref so that a replay changes nothing. The start time only ever moves
// earlier and the status is set only while there is none, so a start arriving after the finish
// (out of order) does not turn a finished run back to RUNNING. `row.props` holds the provenance
// given (only non-null values): given replaces what was stored, not given keeps it (`+=`).
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

// --- $parents (link parents) ---
// A child run's CHILD_OF edge to its parent; both exist (checked before).
CALL () {
  UNWIND $parents AS row
  MATCH (c:Run {ref: row.child})
  MATCH (p:Run {ref: row.parent})
  MERGE (c)-[:CHILD_OF]->(p)
}

// --- $snapshots (register snapshots) ---
// New dataset snapshots (checked before: new ref, or same digest), each attached to its Dataset.
// A snapshot is immutable: an existing one only moves from PENDING to AVAILABLE.
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

// --- $features (register features) ---
// New feature definitions (checked before: new ref, or same digest). Immutable once written:
// an existing one only moves from PENDING to AVAILABLE.
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

// --- $models (register models) ---
// New models (checked before: new ref, or same digest). Immutable once written:
// an existing one only moves from PENDING to AVAILABLE.
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

// --- $reports (register reports) ---
// New evaluation reports (checked before: new ref, or same digest). Immutable once written:
// an existing one only moves from PENDING to AVAILABLE.
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

// --- $produced (link produced) ---
// (Run)-[:PRODUCED]->(artifact) plus its FLOWS_TO mirror run->artifact (checked before: the
// artifact has no other producer and the edge closes no cycle).
CALL () {
  UNWIND $produced AS row
  MATCH (r:Run {ref: row.run})
  CALL (row) {
    MATCH (a:DatasetSnapshot {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:FeatureDefinition {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:Model {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:EvaluationReport {ref: row.ref}) RETURN a
  }
  MERGE (r)-[:PRODUCED]->(a)
  MERGE (r)-[f:FLOWS_TO]->(a)
    ON CREATE SET f.kind = 'PRODUCED'
}

// --- $derived (link derived) ---
// (FeatureDefinition)-[:DERIVED_FROM]->(snapshot or feature) plus its FLOWS_TO mirror
// source->feature.
CALL () {
  UNWIND $derived AS row
  MATCH (f:FeatureDefinition {ref: row.feature})
  CALL (row) {
    MATCH (s:DatasetSnapshot {ref: row.source}) RETURN s
    UNION ALL
    MATCH (s:FeatureDefinition {ref: row.source}) RETURN s
  }
  MERGE (f)-[:DERIVED_FROM]->(s)
  MERGE (s)-[m:FLOWS_TO]->(f)
    ON CREATE SET m.kind = 'DERIVED_FROM'
}

// --- $evaluates (link evaluates) ---
// (EvaluationReport)-[:EVALUATES]->(Model) plus its FLOWS_TO mirror model->report.
CALL () {
  UNWIND $evaluates AS row
  MATCH (e:EvaluationReport {ref: row.report})
  MATCH (m:Model {ref: row.model})
  MERGE (e)-[:EVALUATES]->(m)
  MERGE (m)-[f:FLOWS_TO]->(e)
    ON CREATE SET f.kind = 'EVALUATES'
}

// --- $consumed (link consumed) ---
// (Run)-[:CONSUMED]->(artifact) plus its FLOWS_TO mirror artifact->run, the edge traversals
// follow (schema/MODEL.md). One row per (run, artifact); `eventIds` are the dataset:<name>
// consume events bound to this edge, kept so that their replays bind the same way (an edge
// made from specific refs only has none: the property is left unset).
CALL () {
  UNWIND $consumed AS row
  MATCH (r:Run {ref: row.run})
  CALL (row) {
    MATCH (a:DatasetSnapshot {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:FeatureDefinition {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:Model {ref: row.ref}) RETURN a
    UNION ALL
    MATCH (a:EvaluationReport {ref: row.ref}) RETURN a
  }
  MERGE (r)-[c:CONSUMED]->(a)
    ON CREATE SET c.time = datetime(row.time)
  FOREACH (ids IN CASE WHEN size(row.eventIds) > 0 THEN [row.eventIds] ELSE [] END |
    SET c.eventIds = coalesce(c.eventIds, []) + [e IN ids WHERE NOT e IN coalesce(c.eventIds, [])]
  )
  MERGE (a)-[f:FLOWS_TO]->(r)
    ON CREATE SET f.kind = 'CONSUMED'
}

// --- $finishes (finish runs) ---
// run_finished: the latest finish by event time wins, so replays and late duplicates change
// nothing and the order of arrival does not matter.
CALL () {
  UNWIND $finishes AS row
  MATCH (r:Run {ref: row.ref})
  WITH r, row, datetime(row.time) AS time
  WHERE r.endTime IS NULL OR time >= r.endTime
  SET r.status = row.status,
      r.endTime = time,
      r.errorType = row.errorType,
      r.errorMessage = row.errorMessage
}

// --- $tags (merge tags) ---
// Merges tags into a run's parallel key/value arrays (Neo4j properties hold no maps). One row per
// run (the caller merges a batch's events first). The SET/REMOVE pair takes the run's write lock
// and leaves the node as it was: the arrays read next are the committed ones, a concurrent merge
// is not lost, and a replay changes nothing.
CALL () {
  UNWIND $tags AS row
  MATCH (r:Run {ref: row.ref})
  SET r.lineageLock = true
  REMOVE r.lineageLock
  WITH r, row, coalesce(r.tagKeys, []) AS oldKeys, coalesce(r.tagValues, []) AS oldValues
  WITH r, row, oldKeys, oldValues,
       [i IN range(0, size(oldKeys) - 1) WHERE NOT oldKeys[i] IN row.keys] AS keep
  SET r.tagKeys = [i IN keep | oldKeys[i]] + row.keys,
      r.tagValues = [i IN keep | oldValues[i]] + row.values
}

// --- $params (merge params) ---
// Merges logged parameters into a run's parallel arrays of names and JSON-encoded values, like
// the tags above: one row per run, lock first, then read and write.
CALL () {
  UNWIND $params AS row
  MATCH (r:Run {ref: row.ref})
  SET r.lineageLock = true
  REMOVE r.lineageLock
  WITH r, row, coalesce(r.paramKeys, []) AS oldKeys, coalesce(r.paramValues, []) AS oldValues
  WITH r, row, oldKeys, oldValues,
       [i IN range(0, size(oldKeys) - 1) WHERE NOT oldKeys[i] IN row.keys] AS keep
  SET r.paramKeys = [i IN keep | oldKeys[i]] + row.keys,
      r.paramValues = [i IN keep | oldValues[i]] + row.values
}

// --- $metrics (upsert metrics) ---
// Metric points of one (run, key) series per row, steps ascending. A series is one node holding
// parallel arrays (steps, values, epoch-millisecond times) in step order, never a node per point.
// The usual case, steps after the last stored one, appends; otherwise the points are merged by
// step (a replayed step overwrites itself with the same value). The SET/REMOVE pair takes the
// series' write lock without changing it, so two batches for one series merge one after the other.
CALL () {
  UNWIND $metrics AS row
  MATCH (r:Run {ref: row.run})
  MERGE (s:MetricSeries {id: row.id})
    ON CREATE SET s.run = row.run, s.key = row.key, s.steps = [], s.values = [], s.times = []
  SET s.lineageLock = true
  REMOVE s.lineageLock
  MERGE (r)-[:HAS_METRIC]->(s)
  WITH s, row, size(s.steps) = 0 OR row.steps[0] > last(s.steps) AS appending
  CALL (s, row, appending) {
    WITH s, row, appending
    WHERE appending
    SET s.steps = s.steps + row.steps,
        s.values = s.values + row.values,
        s.times = s.times + row.times
  }
  CALL (s, row, appending) {
    WITH s, row, appending
    WHERE NOT appending
    UNWIND [i IN range(0, size(s.steps) - 1) WHERE NOT s.steps[i] IN row.steps |
              {step: s.steps[i], value: s.values[i], time: s.times[i]}] +
           [i IN range(0, size(row.steps) - 1) |
              {step: row.steps[i], value: row.values[i], time: row.times[i]}] AS point
    WITH s, point
    ORDER BY point.step
    WITH s, collect(point) AS points
    SET s.steps = [p IN points | p.step],
        s.values = [p IN points | p.value],
        s.times = [p IN points | p.time]
  }
}
RETURN count(*) AS written
