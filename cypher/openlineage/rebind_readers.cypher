// name: rebind_readers
// mode: write
// params: snapshot, producedAt
// A snapshot became available at `producedAt` (its producer's COMPLETE arrived): every run that
// reads the same dataset by time, started after that, and reads an older snapshot or the
// placeholder now reads this one (the FLOWS_TO mirror moves with the edge). Returns the
// snapshots the readers left and the facets each moved edge carries (they join this snapshot's;
// the left snapshot's are recomputed, an emptied placeholder is dropped). Ties in production
// time go to the greater ref, as in find_time_targets. In order, nothing matches.
MATCH (s:DatasetSnapshot {ref: $snapshot})-[:SNAPSHOT_OF]->(d:Dataset)
MATCH (d)<-[:SNAPSHOT_OF]-(cur:DatasetSnapshot)<-[c:CONSUMED {olBinding: 'time'}]-(x:Run)
WHERE cur <> s
  AND c.olBoundAt > $producedAt
  AND (cur.olOrigin = 'placeholder'
       OR coalesce(cur.olProducedAt, cur.createdAt) < $producedAt
       OR (coalesce(cur.olProducedAt, cur.createdAt) = $producedAt AND cur.ref < s.ref))
  AND NOT (x)-[:PRODUCED]->(s)
MERGE (x)-[n:CONSUMED]->(s)
  ON CREATE SET n.olBinding = 'time',
                n.olBoundAt = c.olBoundAt,
                n.time = c.time,
                n.olFacetsJson = c.olFacetsJson,
                n.olFacetTimesJson = c.olFacetTimesJson
MERGE (s)-[m:FLOWS_TO]->(x)
  ON CREATE SET m.kind = 'CONSUMED'
WITH cur, c, x, c.olFacetsJson AS facets, c.olFacetTimesJson AS facetTimes
OPTIONAL MATCH (cur)-[f:FLOWS_TO {kind: 'CONSUMED'}]->(x)
DELETE c, f
RETURN cur.ref AS left, facets, facetTimes
