// name: drop_empty_placeholders
// mode: write
// params: refs
// A placeholder snapshot nobody reads any more (its readers moved to the snapshot whose producer
// arrived, taking the facets they saw with them) is merged away: deleted with its edges.
UNWIND $refs AS ref
MATCH (p:DatasetSnapshot {ref: ref, olOrigin: 'placeholder'})
WHERE NOT EXISTS { (p)<-[:CONSUMED|PRODUCED|DERIVED_FROM]-() }
WITH p, p.ref AS dropped
DETACH DELETE p
RETURN dropped
