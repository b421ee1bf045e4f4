// name: passed_levels
// mode: read
// params: refs
// The passed checks of each run (either side) with the level each achieved, newest first: the
// store picks the strongest level (the gate's "highest level verified for this run").
UNWIND $refs AS ref
MATCH (:Run {ref: ref})<-[:CHECKED]-(c:ReproducibilityCheck)
WHERE c.passed = true
RETURN DISTINCT ref, c.ref AS check, c.levelAchieved AS level, c.createdAt AS createdAt
ORDER BY ref, createdAt DESC, check
