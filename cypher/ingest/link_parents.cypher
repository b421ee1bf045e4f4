// name: link_parents
// mode: write
// params: rows
// A child run's CHILD_OF edge to its parent; both exist (checked before).
UNWIND $rows AS row
MATCH (c:Run {ref: row.child})
MATCH (p:Run {ref: row.parent})
MERGE (c)-[:CHILD_OF]->(p)
RETURN count(c) AS written
