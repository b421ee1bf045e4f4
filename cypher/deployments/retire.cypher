// name: retire
// mode: write
// params: env, model, at
// The models serving in the environment other than the one being deployed stop being current:
// their DEPLOYED_IN edge keeps its history (since, by) and gets `until` and `replacedBy`.
MATCH (:Environment {name: $env})<-[d:DEPLOYED_IN]-(o:Model)
WHERE d.until IS NULL AND o.ref <> $model
SET d.until = $at, d.replacedBy = $model
RETURN o.ref AS model
ORDER BY model
