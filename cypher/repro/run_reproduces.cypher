// name: run_reproduces
// mode: read
// params: refs
// The runs each run reproduces (its outgoing REPRODUCES edges).
UNWIND $refs AS ref
MATCH (:Run {ref: ref})-[:REPRODUCES]->(o:Run)
RETURN ref, o.ref AS original
ORDER BY ref, original
