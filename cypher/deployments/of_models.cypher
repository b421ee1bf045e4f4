// name: of_models
// mode: read
// params: refs
// Every deployment of each model, current (no `until`) or past, newest first.
UNWIND $refs AS ref
MATCH (:Model {ref: ref})-[d:DEPLOYED_IN]->(e:Environment)
RETURN ref AS model, e.name AS env, d.since AS since, d.by AS by, d.until AS until,
       d.replacedBy AS replacedBy
ORDER BY model, since DESC, env
