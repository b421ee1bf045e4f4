// name: upsert_metrics
// mode: write
// params: rows
// Metric points of one (run, key) series per row, steps ascending. A series is one node holding
// parallel arrays (steps, values, epoch-millisecond times) in step order, never a node per point.
// The usual case, steps after the last stored one, appends; otherwise the points are merged by
// step (a replayed step overwrites itself with the same value). The SET/REMOVE pair takes the
// series' write lock without changing it, so two batches for one series merge one after the other.
UNWIND $rows AS row
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
RETURN count(s) AS written
