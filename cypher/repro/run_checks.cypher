// name: run_checks
// mode: read
// params: refs
// The reproducibility checks that compared each run (either side), newest first.
UNWIND $refs AS ref
MATCH (:Run {ref: ref})<-[e:CHECKED]-(c:ReproducibilityCheck)
RETURN ref, e.side AS side, properties(c) AS props
ORDER BY ref, c.createdAt DESC, c.ref
