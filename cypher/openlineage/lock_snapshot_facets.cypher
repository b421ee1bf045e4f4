// name: lock_snapshot_facets
// mode: write
// params: refs
// Takes the write lock of existing snapshots and returns their facets, for a merge in Python.
UNWIND $refs AS ref
MATCH (s:DatasetSnapshot {ref: ref})
SET s.olLock = true
REMOVE s.olLock
RETURN s.ref AS ref,
       s.olFacetsJson AS facets,
       s.olFacetTimesJson AS facetTimes,
       s.olOwnFacetsJson AS ownFacets,
       s.olOwnFacetTimesJson AS ownFacetTimes
