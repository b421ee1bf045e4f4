// name: lock_run
// mode: write
// params: ref, name, now
// Opens the Run an OpenLineage event is about (creating a bare one the first time) and takes its
// write lock before reading what earlier events left, so two events of one run arriving at once
// merge one after the other instead of overwriting each other. The SET/REMOVE pair only takes the
// lock: it leaves the node as it was, so a replayed event still changes nothing. Also returns
// what the run reads through OpenLineage bindings, with the facets it saw on each edge.
MERGE (r:Run {ref: $ref})
  ON CREATE SET r.kind = 'RUN', r.name = $name, r.createdAt = $now
SET r.olLock = true
REMOVE r.olLock
WITH r
CALL (r) {
  OPTIONAL MATCH (r)-[c:CONSUMED]->(s:DatasetSnapshot)
  WHERE c.olBinding IS NOT NULL
  RETURN collect({ref: s.ref, facets: c.olFacetsJson, facetTimes: c.olFacetTimesJson}) AS inputs
}
RETURN r.status AS status,
       r.startTime AS startTime,
       r.endTime AS endTime,
       r.olCompletedAt AS completedAt,
       r.jobNamespace AS jobNamespace,
       r.jobName AS jobName,
       r.olJobTime AS jobTime,
       r.olRunFacetsJson AS runFacets,
       r.olRunFacetTimesJson AS runFacetTimes,
       r.olJobFacetsJson AS jobFacets,
       r.olJobFacetTimesJson AS jobFacetTimes,
       coalesce(r.tagKeys, []) AS tagKeys,
       coalesce(r.tagValues, []) AS tagValues,
       coalesce(r.olTagKeys, []) AS olTagKeys,
       coalesce(r.olHasEvents, false) AS hasEvents,
       [i IN inputs WHERE i.ref IS NOT NULL] AS inputs
