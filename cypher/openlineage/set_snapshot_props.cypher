// name: set_snapshot_props
// mode: write
// params: rows
// Writes merged facets (and what they say) on snapshots already locked in this transaction.
UNWIND $rows AS row
MATCH (s:DatasetSnapshot {ref: row.ref})
SET s += row.props
RETURN count(s) AS written
