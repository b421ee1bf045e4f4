// name: openlineage_raw
// mode: write
// params: events, now
// The benchmark's baseline (bench/openlineage_bench.py): the least a store must write for an
// OpenLineage RunEvent, without any of the service's rules: MERGE the run (status and times),
// each input's Dataset and snapshot with a CONSUMED edge, each output's snapshot with a PRODUCED
// edge, and their FLOWS_TO mirrors. Inputs name their snapshot ref directly (the client knows
// which run wrote it); facets are stored as one JSON text. Not used by the service.
UNWIND $events AS e
MERGE (r:Run {ref: e.run})
  ON CREATE SET r.kind = 'RUN',
                r.name = e.job,
                r.createdAt = $now,
                r.jobNamespace = e.namespace,
                r.jobName = e.job
SET r.status = CASE WHEN e.terminal THEN e.status ELSE coalesce(r.status, e.status) END,
    r.startTime = CASE WHEN r.startTime IS NULL OR e.time < r.startTime
                       THEN e.time ELSE r.startTime END,
    r.endTime = CASE WHEN e.terminal THEN e.time ELSE r.endTime END,
    r.olJobFacetsJson = e.jobFacets
WITH r, e
CALL (r, e) {
  UNWIND e.inputs AS i
  MERGE (d:Dataset {ref: i.dataset})
    ON CREATE SET d.kind = 'DATASET', d.name = i.name, d.createdAt = $now
  MERGE (s:DatasetSnapshot {ref: i.snapshot})
    ON CREATE SET s.kind = 'DATASET_SNAPSHOT',
                  s.name = i.name,
                  s.version = i.version,
                  s.createdAt = $now,
                  s.status = 'AVAILABLE'
  MERGE (s)-[:SNAPSHOT_OF]->(d)
  MERGE (r)-[c:CONSUMED]->(s)
    ON CREATE SET c.time = e.time
  SET c.olFacetsJson = i.facets
  MERGE (s)-[f:FLOWS_TO]->(r)
    ON CREATE SET f.kind = 'CONSUMED'
  RETURN count(*) AS consumed
}
CALL (r, e) {
  UNWIND e.outputs AS o
  MERGE (d:Dataset {ref: o.dataset})
    ON CREATE SET d.kind = 'DATASET', d.name = o.name, d.createdAt = $now
  MERGE (s:DatasetSnapshot {ref: o.snapshot})
    ON CREATE SET s.kind = 'DATASET_SNAPSHOT',
                  s.name = o.name,
                  s.version = o.version,
                  s.createdAt = $now,
                  s.status = 'PENDING'
  MERGE (s)-[:SNAPSHOT_OF]->(d)
  SET s.olFacetsJson = o.facets,
      s.status = CASE WHEN e.status = 'COMPLETED' THEN 'AVAILABLE' ELSE s.status END
  MERGE (r)-[:PRODUCED]->(s)
  MERGE (r)-[f:FLOWS_TO]->(s)
    ON CREATE SET f.kind = 'PRODUCED'
  RETURN count(*) AS produced
}
RETURN count(r) AS written
