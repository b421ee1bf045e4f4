// name: dataset_snapshots
// mode: read
// params: refs
// DataLoader batch: the snapshots of each dataset, newest first,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:Dataset {ref: ref})<-[:SNAPSHOT_OF]-(m:DatasetSnapshot)
RETURN ref, properties(m) AS props
ORDER BY ref, m.createdAt DESC, m.ref DESC
