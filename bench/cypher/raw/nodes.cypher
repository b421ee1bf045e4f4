// name: nodes
// mode: write
// params: rows
// Raw baseline: the same nodes the service writes, with the same properties, under a second label
// set (BenchNode + the kind's label prefixed Bench) so both live in one Community database.
// Idempotent like the service (MERGE by ref). A run's start and end times arrive as ISO text and
// are stored as DateTime, as the service stores them.
UNWIND $rows AS row
MERGE (n:BenchNode {ref: row.ref})
  ON CREATE SET n += row.props,
                n.createdAt = datetime(),
                n.startTime = CASE WHEN row.startTime IS NULL THEN null ELSE datetime(row.startTime) END,
                n.endTime = CASE WHEN row.endTime IS NULL THEN null ELSE datetime(row.endTime) END
SET n:$(row.label)
RETURN count(n) AS written
