// name: report_models
// mode: read
// params: refs
// DataLoader batch: the model each evaluation report evaluates,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:EvaluationReport {ref: ref})-[:EVALUATES]->(m:Model)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
