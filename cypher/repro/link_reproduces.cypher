// name: link_reproduces
// mode: write
// params: rows
// (reproduction)-[:REPRODUCES]->(original): a run re-executed from another's recipe. Merged, so
// linking twice changes nothing; both runs must exist (rows naming a missing run return nothing).
UNWIND $rows AS row
MATCH (b:Run {ref: row.reproduction})
MATCH (a:Run {ref: row.original})
MERGE (b)-[e:REPRODUCES]->(a)
  ON CREATE SET e.createdAt = row.createdAt
RETURN b.ref AS reproduction, a.ref AS original
