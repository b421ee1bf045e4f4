// name: snapshot_datasets
// mode: read
// params: refs
// DataLoader batch: the dataset of each snapshot,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:DatasetSnapshot {ref: ref})-[:SNAPSHOT_OF]->(m:Dataset)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
