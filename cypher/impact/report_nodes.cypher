// name: report_nodes
// mode: read
// params: ids, limit
// The impact report: the downstream closure of the roots (elementIds read by lineage.roots in the
// same transaction), each node once at its shortest distance (breadth-first pruning expand over
// the FLOWS_TO mirror), with what the report shows per item: tags (owner/team), the producing
// run with its tags and user, the environments where a model is serving now, and the refs of
// its direct upstream neighbours (the report keeps those one step nearer the roots: a parent on
// a shortest path; neighbours outside the closure are ignored).
UNWIND $ids AS id
MATCH (a)
WHERE elementId(a) = id
MATCH p = (a)-[:FLOWS_TO*]->(b)
WITH b, min(length(p)) AS depth
ORDER BY depth, b.ref
LIMIT $limit
RETURN elementId(b) AS id,
       b.ref AS ref,
       b.kind AS kind,
       b.name AS name,
       b.version AS version,
       depth,
       b.tagKeys AS tagKeys,
       b.tagValues AS tagValues,
       b.user AS user,
       coalesce(b.deprecated, false) AS deprecated,
       COLLECT { MATCH (b)<-[:PRODUCED]-(r:Run)
                 RETURN {ref: r.ref, tagKeys: r.tagKeys, tagValues: r.tagValues, user: r.user} }
         AS producers,
       COLLECT { MATCH (b)-[d:DEPLOYED_IN]->(e:Environment) WHERE d.until IS NULL
                 RETURN e.name } AS deployedIn,
       COLLECT { MATCH (u)-[:FLOWS_TO]->(b) RETURN u.ref } AS upstream
