// name: nodes
// mode: write
// params: rows
// Raw baseline: the same nodes the service writes, with the same properties, under a second label
// set (BenchNode + the kind's label prefixed Bench) so both live in one Community database.
// Idempotent like the service (MERGE by ref).
UNWIND $rows AS row
MERGE (n:BenchNode {ref: row.ref})
  ON CREATE SET n += row.props, n.createdAt = datetime()
SET n:$(row.label)
RETURN count(n) AS written
