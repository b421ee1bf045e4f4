// name: register_features
// mode: write
// params: rows
// New feature definitions (checked before: new ref, or same digest). Immutable once written:
// an existing one only moves from PENDING to AVAILABLE.
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
UNWIND $rows AS row
MERGE (a:FeatureDefinition {ref: row.ref})
  ON CREATE SET a += row.props,
                a.kind = 'FEATURE_DEFINITION',
                a.name = row.name,
                a.version = row.version,
                a.createdAt = datetime(row.createdAt)
  ON MATCH SET a.status = CASE WHEN row.props.status = 'AVAILABLE' THEN 'AVAILABLE' ELSE a.status END
RETURN count(a) AS written
