// Deployments: (Model)-[:DEPLOYED_IN {since, by, until, replacedBy}]->(Environment {name}).
// The environment is found by its name (MERGE on a unique key is safe against concurrent first
// deployments); deprecated artifacts are listed by the gate and the impact report through the
// lineage traversal, so `deprecated` needs no index.
CREATE CONSTRAINT environment_name IF NOT EXISTS FOR (e:Environment) REQUIRE e.name IS UNIQUE;
