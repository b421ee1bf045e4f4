// name: nodes
// mode: read
// params: refs
// Nodes by ref, any kind (one index seek per label), with all their properties: the DataLoader
// behind `node(ref)` and every field that returns a node.
UNWIND $refs AS ref
CALL (ref) {
  MATCH (n:Run {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:Model {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {ref: ref}) RETURN n
  UNION ALL
  MATCH (n:Dataset {ref: ref}) RETURN n
}
RETURN ref, properties(n) AS props
