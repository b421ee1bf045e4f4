// name: drop_empty_placeholders
// mode: write
// params: refs
// A placeholder snapshot nobody reads any more (its readers moved to the snapshot whose producer
// arrived) is merged away: deleted, its facets returned so the caller keeps them on that snapshot.
UNWIND $refs AS ref
MATCH (p:DatasetSnapshot {ref: ref, olOrigin: 'placeholder'})
WHERE NOT EXISTS { (p)<-[:CONSUMED|PRODUCED|DERIVED_FROM]-() }
WITH p, p.ref AS dropped, p.olFacetsJson AS facets, p.olFacetTimesJson AS facetTimes
DETACH DELETE p
RETURN dropped, facets, facetTimes
