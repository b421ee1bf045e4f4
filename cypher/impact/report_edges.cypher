// name: report_edges
// mode: read
// params: ids
// The FLOWS_TO edges into the report's nodes from the report's nodes or roots (elementIds from
// the same transaction): the report picks, per node, a parent one step nearer the roots, which
// gives each item a shortest path from a root (breadth-first parent pointers).
UNWIND $ids AS id
MATCH (v)
WHERE elementId(v) = id
MATCH (u)-[:FLOWS_TO]->(v)
WHERE elementId(u) IN $ids
RETURN u.ref AS from, v.ref AS to
ORDER BY to, from
