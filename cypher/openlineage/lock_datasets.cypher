// name: lock_datasets
// mode: write
// params: rows, now
// Opens the Dataset of each row (DatasetEvent, JobEvent: datasets known without a run), creating it
// the first time, takes its write lock and returns its facets for a merge in Python.
UNWIND $rows AS row
MERGE (d:Dataset {ref: row.datasetRef})
  ON CREATE SET d.kind = 'DATASET',
                d.name = row.name,
                d.createdAt = $now,
                d.olNamespace = row.namespace,
                d.olName = row.sourceName
SET d.olLock = true
REMOVE d.olLock
RETURN d.ref AS ref, d.olFacetsJson AS facets, d.olFacetTimesJson AS facetTimes
