// name: link_evaluates
// mode: write
// params: rows
// (EvaluationReport)-[:EVALUATES]->(Model) plus its FLOWS_TO mirror model->report.
UNWIND $rows AS row
MATCH (e:EvaluationReport {ref: row.report})
MATCH (m:Model {ref: row.model})
MERGE (e)-[:EVALUATES]->(m)
MERGE (m)-[f:FLOWS_TO]->(e)
  ON CREATE SET f.kind = 'EVALUATES'
RETURN count(e) AS written
