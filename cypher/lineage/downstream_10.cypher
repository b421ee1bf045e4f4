// name: downstream_10
// mode: read
// params: ids, depth, kinds, limit
// Lineage downstream (what depends on the roots) up to 10 edges; the store picks the smallest tier at least
// the asked depth (quantifier bounds must be literals) and `depth` trims the rest. Anchored on the
// root elementIds read by lineage.roots in the same transaction. min(length(p)) over a pattern
// whose path is not otherwise used plans as a breadth-first pruning expand: every node is reached
// once at its shortest distance, never once per path.
UNWIND $ids AS id
MATCH (a)
WHERE elementId(a) = id
MATCH p = (a)-[:FLOWS_TO*1..10]->(b)
WITH b, min(length(p)) AS depth
WHERE depth <= $depth AND ($kinds IS NULL OR b.kind IN $kinds)
RETURN elementId(b) AS id, b.ref AS ref, b.kind AS kind, b.name AS name, b.version AS version, depth
ORDER BY depth, ref
LIMIT $limit
