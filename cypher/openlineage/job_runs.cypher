// name: job_runs
// mode: read
// params: namespace, name
// The runs of an OpenLineage job (or of every job in a namespace when name is null), newest first,
// with what each read and wrote.
MATCH (r:Run)
WHERE r.jobNamespace = $namespace AND ($name IS NULL OR r.jobName = $name)
CALL (r) {
  OPTIONAL MATCH (r)-[:CONSUMED]->(i:DatasetSnapshot)
  RETURN collect(i.ref) AS inputs
}
CALL (r) {
  OPTIONAL MATCH (r)-[:PRODUCED]->(o:DatasetSnapshot)
  RETURN collect(o.ref) AS outputs
}
CALL (r) {
  OPTIONAL MATCH (r)-[:CHILD_OF]->(p:Run)
  RETURN collect(p.ref) AS parents
}
RETURN r.ref AS ref, r.jobName AS jobName, r.status AS status, r.startTime AS startTime,
       inputs, outputs, parents
ORDER BY r.startTime DESC, r.ref
