// name: current
// mode: read
// params: envs
// The model currently serving in each environment (its DEPLOYED_IN edge has no `until`); an
// environment nobody deployed to yet gives no row.
UNWIND $envs AS env
MATCH (:Environment {name: env})<-[d:DEPLOYED_IN]-(m:Model)
WHERE d.until IS NULL
RETURN env, m.ref AS model, d.since AS since, d.by AS by
ORDER BY env, since DESC, model
