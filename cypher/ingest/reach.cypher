// name: reach
// mode: read
// params: heads, tails
// Cycle check for new lineage edges: which `tails` (upstream ends of new edges) are already
// downstream of which `heads` (downstream ends). A new edge tail->head closes a cycle exactly when
// head reaches tail. Breadth-first with pruning over the FLOWS_TO mirror: each node once per head.
UNWIND $heads AS head
CALL (head) {
  MATCH (n:Run {ref: head}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: head}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {ref: head}) RETURN n
  UNION ALL
  MATCH (n:Model {ref: head}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {ref: head}) RETURN n
}
MATCH (n)-[:FLOWS_TO*]->(t)
WITH DISTINCT head, t
WHERE t.ref IN $tails
RETURN head, t.ref AS tail
