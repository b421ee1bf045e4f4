// name: write_outputs
// mode: write
// params: run, rows
// Stores the merged facets (and what they say: row count, size, schema) on each output snapshot
// and records the run as its producer, with the FLOWS_TO mirror run->snapshot that traversals
// follow (schema/MODEL.md). A snapshot first known from a reader (origin `declared`) becomes the
// run's output (origin `run`).
MATCH (r:Run {ref: $run})
UNWIND $rows AS row
MATCH (s:DatasetSnapshot {ref: row.ref})
SET s += row.props,
    s.olOrigin = CASE WHEN s.olOrigin IN ['declared', 'run'] THEN 'run' ELSE s.olOrigin END
MERGE (r)-[:PRODUCED]->(s)
MERGE (r)-[f:FLOWS_TO]->(s)
  ON CREATE SET f.kind = 'PRODUCED'
RETURN count(s) AS written
