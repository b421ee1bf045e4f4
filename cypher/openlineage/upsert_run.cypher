// name: upsert_run
// mode: write
// params: ref, props, parent, now
// Writes the merged state of an OpenLineage run (computed in openlineage/merge.py from what
// lock_run read) and links it to its parent run from the `parent` facet. A parent not seen yet is
// created as a placeholder Run with the parent facet's job identity; its own events fill it later.
// What the run read is stamped with its start time (`time` on CONSUMED, as the store does), which
// moves when an earlier event of the run arrives late.
MATCH (r:Run {ref: $ref})
SET r += $props
REMOVE r.olPlaceholder
WITH r
CALL (r) {
  WITH r
  WHERE $parent IS NOT NULL
  MERGE (p:Run {ref: $parent.ref})
    ON CREATE SET p.kind = 'RUN',
                  p.name = $parent.jobName,
                  p.jobNamespace = $parent.jobNamespace,
                  p.jobName = $parent.jobName,
                  p.status = $parent.status,
                  p.createdAt = $now,
                  p.olPlaceholder = true
  MERGE (r)-[:CHILD_OF]->(p)
}
CALL (r) {
  MATCH (r)-[c:CONSUMED]->(:DatasetSnapshot)
  WHERE c.olBinding IS NOT NULL AND c.time <> r.startTime
  SET c.time = r.startTime
}
RETURN r.ref AS ref
