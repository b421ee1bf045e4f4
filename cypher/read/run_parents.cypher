// name: run_parents
// mode: read
// params: refs
// DataLoader batch: the parent run of each run,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:Run {ref: ref})-[:CHILD_OF]->(m:Run)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
