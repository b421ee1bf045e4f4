// name: run_consumed
// mode: read
// params: refs
// DataLoader batch: the artifacts each run consumed,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:Run {ref: ref})-[:CONSUMED]->(m)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
