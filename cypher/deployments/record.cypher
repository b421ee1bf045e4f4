// name: record
// mode: write
// params: env, model, at, by
// (Model)-[:DEPLOYED_IN {since, by}]->(Environment): the model is serving there now. Recording a
// model that is already current changes nothing; a model deployed there before and replaced
// since becomes current again from now. DEPLOYED_IN is not a lineage edge (no FLOWS_TO mirror).
MATCH (m:Model {ref: $model})
MATCH (e:Environment {name: $env})
MERGE (m)-[d:DEPLOYED_IN]->(e)
  ON CREATE SET d.since = $at, d.by = $by
WITH m, e, d, d.until IS NOT NULL AS revived
SET d.since = CASE WHEN revived THEN $at ELSE d.since END,
    d.by = CASE WHEN revived THEN $by ELSE d.by END
REMOVE d.until, d.replacedBy
RETURN m.ref AS model, e.name AS env, d.since AS since, d.by AS by
