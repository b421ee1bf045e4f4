// name: model_reports
// mode: read
// params: refs
// DataLoader batch: the evaluation reports of each model,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:Model {ref: ref})<-[:EVALUATES]-(m:EvaluationReport)
RETURN ref, properties(m) AS props
ORDER BY ref, m.createdAt, m.ref
