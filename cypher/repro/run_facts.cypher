// name: run_facts
// mode: read
// params: refs
// What the reproducibility checks compare, for many runs at once: the run's properties
// (provenance as ...Json), what it consumed and produced, and the last value of every metric
// series (series are kept in step order, so the last element is the final value).
UNWIND $refs AS ref
MATCH (r:Run {ref: ref})
RETURN ref,
       properties(r) AS props,
       COLLECT { MATCH (r)-[:CONSUMED]->(a) RETURN properties(a) } AS consumed,
       COLLECT { MATCH (r)-[:PRODUCED]->(a) RETURN properties(a) } AS produced,
       COLLECT {
         MATCH (r)-[:HAS_METRIC]->(s:MetricSeries)
         WHERE size(s.values) > 0
         RETURN {key: s.key, value: last(s.values)}
       } AS metrics
