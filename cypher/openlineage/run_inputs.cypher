// name: run_inputs
// mode: read
// params: run
// The snapshots a run reads through OpenLineage bindings, with the facets it saw on each edge.
MATCH (x:Run {ref: $run})-[c:CONSUMED]->(s:DatasetSnapshot)
WHERE c.olBinding IS NOT NULL
RETURN s.ref AS ref, c.olBinding AS binding, c.olFacetsJson AS facets,
       c.olFacetTimesJson AS facetTimes
