// name: edges_among
// mode: read
// params: ids
// The lineage edges between the nodes of a lineage answer (elementIds from the same
// transaction), in flow direction, with the kind of the edge they mirror; one row holding a
// list of [from, to, kind] lists (one Bolt record, not one per edge).
UNWIND $ids AS id
MATCH (u)
WHERE elementId(u) = id
MATCH (u)-[e:FLOWS_TO]->(v)
WHERE elementId(v) IN $ids
WITH u.ref AS from, v.ref AS to, e.kind AS kind
ORDER BY from, to
RETURN collect([from, to, kind]) AS rows
