// name: lock_snapshots
// mode: write
// params: rows, now
// Opens the Dataset and DatasetSnapshot of each row (creating them the first time, with the
// OpenLineage namespace and name as sent) and takes each snapshot's write lock, then returns what
// the snapshot holds: its facets (all, and its own), origin and producers. Rows come sorted by ref so that
// concurrent events lock in one order. The caller checks the producers (an artifact has at most
// one) before writing anything else; raising there rolls all of this back.
UNWIND $rows AS row
MERGE (d:Dataset {ref: row.datasetRef})
  ON CREATE SET d.kind = 'DATASET',
                d.name = row.name,
                d.createdAt = $now,
                d.olNamespace = row.namespace,
                d.olName = row.sourceName
MERGE (s:DatasetSnapshot {ref: row.ref})
  ON CREATE SET s.kind = 'DATASET_SNAPSHOT',
                s.name = row.name,
                s.version = row.version,
                s.createdAt = $now,
                s.isReference = true,
                s.status = row.status,
                s.olOrigin = row.origin,
                s.olNamespace = row.namespace,
                s.olName = row.sourceName
MERGE (s)-[:SNAPSHOT_OF]->(d)
SET s.olLock = true
REMOVE s.olLock
WITH row, s
OPTIONAL MATCH (p:Run)-[:PRODUCED]->(s)
RETURN row.ref AS ref,
       s.olFacetsJson AS facets,
       s.olFacetTimesJson AS facetTimes,
       s.olOwnFacetsJson AS ownFacets,
       s.olOwnFacetTimesJson AS ownFacetTimes,
       s.olOrigin AS origin,
       s.status AS status,
       collect(p.ref) AS producers
