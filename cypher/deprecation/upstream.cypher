// name: upstream
// mode: read
// params: refs
// For many nodes at once (a DataLoader batch, and the gate): the deprecated artifacts anywhere
// upstream of each, with their distance and one shortest path from the deprecated artifact down
// to the node (the refs responsible). The closure is the breadth-first pruning expand over the
// FLOWS_TO mirror (each node once, at its shortest distance, never once per path); the path is a
// single-direction shortestPath, asked only for the deprecated nodes found.
UNWIND $refs AS ref
CALL (ref) {
  MATCH (x:DatasetSnapshot {ref: ref}) RETURN x
  UNION ALL
  MATCH (x:FeatureDefinition {ref: ref}) RETURN x
  UNION ALL
  MATCH (x:Model {ref: ref}) RETURN x
  UNION ALL
  MATCH (x:EvaluationReport {ref: ref}) RETURN x
  UNION ALL
  MATCH (x:Run {ref: ref}) RETURN x
}
MATCH p = (x)<-[:FLOWS_TO*]-(b)
WITH ref, x, b, min(length(p)) AS depth
WHERE b.deprecated = true
CALL (x, b) {
  MATCH q = shortestPath((b)-[:FLOWS_TO*]->(x))
  RETURN [n IN nodes(q) | n.ref] AS path
}
RETURN ref,
       b.ref AS deprecated,
       depth,
       path,
       b.deprecatedAt AS deprecatedAt,
       b.deprecatedBy AS deprecatedBy,
       b.deprecationReason AS reason,
       b.deprecationSunset AS sunset,
       b.deprecationReplacement AS replacement
ORDER BY ref, depth, deprecated
