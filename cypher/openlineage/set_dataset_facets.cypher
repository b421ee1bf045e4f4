// name: set_dataset_facets
// mode: write
// params: rows
// Writes the merged facets of Datasets locked by lock_datasets in this transaction.
UNWIND $rows AS row
MATCH (d:Dataset {ref: row.ref})
SET d += row.props
RETURN count(d) AS written
