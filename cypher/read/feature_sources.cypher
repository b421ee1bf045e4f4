// name: feature_sources
// mode: read
// params: refs
// DataLoader batch: the snapshots and features each feature definition is derived from,
// for many refs at once: one query per request, not one per field.
UNWIND $refs AS ref
MATCH (:FeatureDefinition {ref: ref})-[:DERIVED_FROM]->(m)
RETURN ref, properties(m) AS props
ORDER BY ref, m.ref
