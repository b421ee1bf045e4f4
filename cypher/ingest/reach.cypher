// name: reach
// mode: read
// params: heads, tails
// Cycle check for new lineage edges: which `tails` (upstream ends of new edges) are already
// downstream of which `heads` (downstream ends). A new edge tail->head closes a cycle exactly when
// head reaches tail. Breadth-first with pruning over the FLOWS_TO mirror: each node once per head.
UNWIND $heads AS head
CALL (head) {
  MATCH (n:Run {ref: CASE WHEN head STARTS WITH 'run:' THEN head END}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: CASE WHEN head STARTS WITH 'dataset:' AND head CONTAINS '@' THEN head END}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {ref: CASE WHEN head STARTS WITH 'feature:' THEN head END}) RETURN n
  UNION ALL
  MATCH (n:Model {ref: CASE WHEN head STARTS WITH 'model:' THEN head END}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {ref: CASE WHEN head STARTS WITH 'report:' THEN head END}) RETURN n
}
MATCH (n)-[:FLOWS_TO*]->(t)
WITH DISTINCT head, t
WHERE t.ref IN $tails
RETURN head, t.ref AS tail
