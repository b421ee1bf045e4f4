// name: edges
// mode: write
// params: rows
// Raw baseline: the same relationships the service writes (including the FLOWS_TO mirror with its
// kind), merged between BenchNode ends found by ref.
UNWIND $rows AS row
MATCH (a:BenchNode {ref: row.from})
MATCH (b:BenchNode {ref: row.to})
MERGE (a)-[e:$(row.type)]->(b)
  ON CREATE SET e += row.props
RETURN count(e) AS written
