// name: downstream_10
// mode: read
// params: ref, depth, kinds, limit
// Lineage Downstream (what depends on the roots) up to 10 edges, the whole answer in one statement (one round
// trip): the roots (the node, or every snapshot of a dataset:<name>; as lineage.roots), the walk
// and the lineage edges among the nodes returned. The store picks the smallest tier at least the
// asked depth (quantifier bounds must be literals) and `depth` trims the rest. One node: min(
// length(p)) over a pattern whose path is not otherwise used plans as a breadth-first pruning
// expand (every node once, at its shortest distance, never once per path); a dataset: one
// breadth-first search through all its snapshots (ANY SHORTEST, at least one FLOWS_TO step after
// the SNAPSHOT_OF one), not one per snapshot (see impact/closure).
// Returns one row: `known` (false: no such ref, NOT_FOUND), `truncated` (more than $limit nodes
// were reachable), `rows` ([ref, kind, name, version, depth] lists: the roots whose kind is
// asked at depth 0, then the nearest $limit others, by depth then ref; a list keeps its nulls)
// and `edges` ([from, to, kind] lists in flow direction, the kind of the edge FLOWS_TO mirrors,
// by from then to): one Bolt record, which the driver decodes far faster than one per node.
CALL () {
  MATCH (n:Run {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:FeatureDefinition {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:Model {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (n:EvaluationReport {ref: $ref}) RETURN n AS root
  UNION ALL
  MATCH (:Dataset {ref: $ref}) RETURN null AS root
  UNION ALL
  MATCH (:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(n:DatasetSnapshot) RETURN n AS root
}
WITH collect(root) AS roots, count(*) > 0 AS known
CALL () {
  CALL () {
    CALL () {
      MATCH (a:Run {ref: $ref}) RETURN a
      UNION ALL
      MATCH (a:DatasetSnapshot {ref: $ref}) RETURN a
      UNION ALL
      MATCH (a:FeatureDefinition {ref: $ref}) RETURN a
      UNION ALL
      MATCH (a:Model {ref: $ref}) RETURN a
      UNION ALL
      MATCH (a:EvaluationReport {ref: $ref}) RETURN a
    }
    MATCH p = (a)-[:FLOWS_TO*1..10]->(b)
    RETURN b, min(length(p)) AS depth
    UNION ALL
    MATCH p = ANY SHORTEST (:Dataset {ref: $ref})<-[:SNAPSHOT_OF]-(:DatasetSnapshot)-[:FLOWS_TO]->{1,10}(b)
    RETURN b, length(p) - 1 AS depth
  }
  WITH b, depth
  WHERE depth <= $depth AND ($kinds IS NULL OR b.kind IN $kinds)
  WITH b, depth
  ORDER BY depth, b.ref
  LIMIT $limit + 1
  RETURN collect([b, depth]) AS found
}
WITH known, found, [r IN roots WHERE $kinds IS NULL OR r.kind IN $kinds] AS shown
WITH known, size(found) > $limit AS truncated,
     [r IN shown | [r, 0]] + [f IN found[..$limit] WHERE NOT f[0] IN shown] AS picked
WITH known, truncated, picked, [x IN picked | x[0]] AS ns
CALL (ns) {
  UNWIND ns AS u
  MATCH (u)-[e:FLOWS_TO]->(v)
  WHERE v IN ns
  WITH u.ref AS from, v.ref AS to, e.kind AS kind
  ORDER BY from, to
  RETURN collect([from, to, kind]) AS edges
}
RETURN known,
       truncated,
       [x IN picked | [x[0].ref, x[0].kind, x[0].name, x[0].version, x[1]]] AS rows,
       edges
