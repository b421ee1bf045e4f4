// name: describe_run
// mode: read
// params: ref
// A run as OpenLineage left it, with what it read, wrote and its parents (tests and debugging).
MATCH (r:Run {ref: $ref})
CALL (r) {
  OPTIONAL MATCH (r)-[c:CONSUMED]->(s)
  RETURN collect({ref: s.ref, binding: c.olBinding}) AS consumed
}
CALL (r) {
  OPTIONAL MATCH (r)-[:PRODUCED]->(s)
  RETURN collect(s.ref) AS produced
}
CALL (r) {
  OPTIONAL MATCH (r)-[:CHILD_OF]->(p:Run)
  RETURN collect(p.ref) AS parents
}
RETURN properties(r) AS run, [c IN consumed WHERE c.ref IS NOT NULL] AS consumed, produced, parents
