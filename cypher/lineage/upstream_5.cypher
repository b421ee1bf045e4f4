// name: upstream_5
// mode: read
// params: ids, depth, kinds, limit
// Lineage upstream (where the roots came from) up to 5 edges; the store picks the smallest tier at least
// the asked depth (quantifier bounds must be literals) and `depth` trims the rest. Anchored on the
// root elementIds read by lineage.roots in the same transaction. min(length(p)) over a pattern
// whose path is not otherwise used plans as a breadth-first pruning expand: every node is reached
// once at its shortest distance, never once per path. One row holding a list of
// [id, ref, kind, name, version, depth] lists, nearest first (ordered before collect; a list
// keeps its nulls where collect of a bare null value would drop it): one Bolt record instead of
// one per node, which the driver decodes several times faster.
UNWIND $ids AS id
MATCH (a)
WHERE elementId(a) = id
MATCH p = (a)<-[:FLOWS_TO*1..5]-(b)
WITH b, min(length(p)) AS depth
WHERE depth <= $depth AND ($kinds IS NULL OR b.kind IN $kinds)
WITH b, depth
ORDER BY depth, b.ref
LIMIT $limit
RETURN collect([elementId(b), b.ref, b.kind, b.name, b.version, depth]) AS rows
