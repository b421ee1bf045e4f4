// name: create_checks
// mode: write
// params: rows
// Store verdicts: one ReproducibilityCheck node per row (merged by ref, so a retried request
// stores it once) and a CHECKED edge to every run it compared, with the run's side (A or B).
UNWIND $rows AS row
MERGE (c:ReproducibilityCheck {ref: row.ref})
  ON CREATE SET c += row.props
WITH c, row
UNWIND row.sides AS side
MATCH (r:Run {ref: side.run})
MERGE (c)-[e:CHECKED {side: side.side}]->(r)
RETURN count(DISTINCT c) AS written, count(e) AS linked
