// name: write_outputs
// mode: write
// params: run, rows, completedAt
// Stores the merged facets (and what they say: row count, size, schema) on each output snapshot
// and records the run as its producer, with the FLOWS_TO mirror run->snapshot that traversals
// follow (schema/MODEL.md). A snapshot first known from a reader (origin `declared`) becomes the
// run's output (origin `run`). Then, once the run has COMPLETEd (`completedAt`, its earliest
// COMPLETE eventTime; null before), everything it produced is AVAILABLE from that moment on;
// until then its outputs stay PENDING. Returns the snapshots settled, with their production time
// before and after and their facets, so the caller can bind the readers that came after it.
MATCH (r:Run {ref: $run})
CALL (r) {
  UNWIND $rows AS row
  MATCH (s:DatasetSnapshot {ref: row.ref})
  SET s += row.props,
      s.olOrigin = CASE WHEN s.olOrigin IN ['declared', 'run'] THEN 'run' ELSE s.olOrigin END
  MERGE (r)-[:PRODUCED]->(s)
  MERGE (r)-[f:FLOWS_TO]->(s)
    ON CREATE SET f.kind = 'PRODUCED'
  RETURN count(s) AS written
}
CALL (r) {
  MATCH (r)-[:PRODUCED]->(s:DatasetSnapshot)
  WHERE $completedAt IS NOT NULL
  WITH s, s.olProducedAt AS before
  SET s.olProducedAt = $completedAt,
      s.status = 'AVAILABLE'
  RETURN collect({
    ref: s.ref,
    before: before,
    after: s.olProducedAt,
    facets: s.olFacetsJson,
    facetTimes: s.olFacetTimesJson
  }) AS settled
}
RETURN written, settled
