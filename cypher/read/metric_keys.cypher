// name: metric_keys
// mode: read
// params: refs
// DataLoader batch: the metric keys each run logged (one MetricSeries node per key).
UNWIND $refs AS ref
MATCH (:Run {ref: ref})-[:HAS_METRIC]->(s:MetricSeries)
RETURN ref, s.key AS key
ORDER BY ref, key
