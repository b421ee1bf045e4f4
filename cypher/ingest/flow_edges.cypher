// name: flow_edges
// mode: read
// params: pairs
// Which of the lineage edges a batch would add exist already (a replay): those need no cycle
// check. Pairs are in flow direction (from upstream to downstream).
UNWIND $pairs AS pair
CALL (pair) {
  MATCH (u:Run {ref: CASE WHEN pair.from STARTS WITH 'run:' THEN pair.from END}) RETURN u
  UNION ALL
  MATCH (u:DatasetSnapshot {ref: CASE WHEN pair.from STARTS WITH 'dataset:' AND pair.from CONTAINS '@' THEN pair.from END}) RETURN u
  UNION ALL
  MATCH (u:FeatureDefinition {ref: CASE WHEN pair.from STARTS WITH 'feature:' THEN pair.from END}) RETURN u
  UNION ALL
  MATCH (u:Model {ref: CASE WHEN pair.from STARTS WITH 'model:' THEN pair.from END}) RETURN u
}
MATCH (u)-[:FLOWS_TO]->(v)
WHERE v.ref = pair.to
RETURN pair.from AS from, pair.to AS to
