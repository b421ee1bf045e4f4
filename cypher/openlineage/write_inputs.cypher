// name: write_inputs
// mode: write
// params: run, rows
// Records what the run read: a CONSUMED edge to each snapshot, marked `version` when the event
// named the version and `time` when it was chosen by time (with the time it was chosen for), with
// the facets the run saw on the edge (they move with it) and merged into the snapshot's, plus the FLOWS_TO mirror snapshot->run. An explicit binding
// is never turned into a by-time one.
MATCH (x:Run {ref: $run})
UNWIND $rows AS row
MATCH (s:DatasetSnapshot {ref: row.ref})
SET s += row.props
MERGE (x)-[c:CONSUMED]->(s)
  ON CREATE SET c.olBinding = row.binding, c.time = row.boundAt
SET c.olFacetsJson = row.edgeFacets,
    c.olFacetTimesJson = row.edgeFacetTimes,
    c.olBoundAt = CASE WHEN c.olBinding = 'time' THEN row.boundAt ELSE c.olBoundAt END,
    c.olBinding = CASE WHEN row.binding = 'version' THEN 'version' ELSE c.olBinding END
MERGE (s)-[f:FLOWS_TO]->(x)
  ON CREATE SET f.kind = 'CONSUMED'
RETURN count(c) AS written
