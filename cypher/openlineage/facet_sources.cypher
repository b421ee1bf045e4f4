// name: facet_sources
// mode: write
// params: refs
// What a snapshot's facets are made of: its own (from the events that wrote or named it) and
// those each current reader saw. Called after readers left a snapshot, to recompute its facets;
// takes the snapshot's write lock first (SET/REMOVE, no change).
UNWIND $refs AS ref
MATCH (s:DatasetSnapshot {ref: ref})
SET s.olLock = true
REMOVE s.olLock
WITH s
CALL (s) {
  OPTIONAL MATCH (:Run)-[c:CONSUMED]->(s)
  WHERE c.olFacetsJson IS NOT NULL
  RETURN collect({facets: c.olFacetsJson, facetTimes: c.olFacetTimesJson}) AS seen
}
RETURN s.ref AS ref, s.olOwnFacetsJson AS ownFacets, s.olOwnFacetTimesJson AS ownFacetTimes, seen
