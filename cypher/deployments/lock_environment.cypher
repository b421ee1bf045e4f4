// name: lock_environment
// mode: write
// params: env, at
// The environment a deployment is recorded in, created on first use; setting a property takes
// its write lock, so two deployments into one environment are serialised (one current model).
MERGE (e:Environment {name: $env})
  ON CREATE SET e.createdAt = $at
SET e.updatedAt = $at
RETURN e.name AS env
