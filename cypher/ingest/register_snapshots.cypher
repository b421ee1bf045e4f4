// name: register_snapshots
// mode: write
// params: rows
// New dataset snapshots (checked before: new ref, or same digest), each attached to its Dataset.
// A snapshot is immutable: an existing one only moves from PENDING to AVAILABLE.
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
UNWIND $rows AS row
MERGE (d:Dataset {ref: row.datasetRef})
  ON CREATE SET d.kind = 'DATASET', d.name = row.name, d.createdAt = datetime(row.createdAt)
MERGE (s:DatasetSnapshot {ref: row.ref})
  ON CREATE SET s += row.props,
                s.kind = 'DATASET_SNAPSHOT',
                s.name = row.name,
                s.version = row.version,
                s.createdAt = datetime(row.createdAt)
  ON MATCH SET s.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE s.status END
MERGE (s)-[:SNAPSHOT_OF]->(d)
RETURN count(s) AS written
