// name: metric_series
// mode: read
// params: ids
// Whole metric series by id (run ref + key): parallel arrays already in step order.
UNWIND $ids AS id
MATCH (s:MetricSeries {id: id})
RETURN id, s.steps AS steps, s.values AS values, s.times AS times
