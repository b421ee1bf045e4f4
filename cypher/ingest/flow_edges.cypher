// name: flow_edges
// mode: read
// params: pairs
// Which of the lineage edges a batch would add exist already (a replay): those need no cycle
// check. Pairs are in flow direction (from upstream to downstream).
UNWIND $pairs AS pair
CALL (pair) {
  MATCH (u:Run {ref: pair.from}) RETURN u
  UNION ALL
  MATCH (u:DatasetSnapshot {ref: pair.from}) RETURN u
  UNION ALL
  MATCH (u:FeatureDefinition {ref: pair.from}) RETURN u
  UNION ALL
  MATCH (u:Model {ref: pair.from}) RETURN u
}
MATCH (u)-[:FLOWS_TO]->(v)
WHERE v.ref = pair.to
RETURN pair.from AS from, pair.to AS to
