// name: all_current
// mode: read
// params: limit
// Every environment's current model (for `deployments` without an environment).
MATCH (e:Environment)<-[d:DEPLOYED_IN]-(m:Model)
WHERE d.until IS NULL
RETURN e.name AS env, m.ref AS model, d.since AS since, d.by AS by
ORDER BY env, since DESC, model
LIMIT $limit
