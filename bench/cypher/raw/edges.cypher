// name: edges
// mode: write
// params: rows
// Raw baseline: the same relationships the service writes (including the FLOWS_TO mirror with its
// kind, and a CONSUMED edge's time as DateTime), merged between BenchNode ends found by ref.
UNWIND $rows AS row
MATCH (a:BenchNode {ref: row.from})
MATCH (b:BenchNode {ref: row.to})
MERGE (a)-[e:$(row.type)]->(b)
  ON CREATE SET e += row.props,
                e.time = CASE WHEN row.time IS NULL THEN null ELSE datetime(row.time) END
RETURN count(e) AS written
