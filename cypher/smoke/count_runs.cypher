// name: count_runs
// mode: read
// params: ref
// Used only by the smoke tests: how many Run nodes carry this ref.
MATCH (r:Run {ref: $ref})
RETURN count(r) AS n
