// name: write_links
// mode: write
// params: parents, produced, derived, evaluates, consumed
// `CYPHER replan=skip`: a cached plan is kept when the graph's statistics drift (every node is
// found by a unique-ref seek and every MERGE expands between two bound nodes, so the plan does
// not depend on them; planning this statement again cost seconds on a loaded box).
// The edges of one ingest batch in one statement (one round trip instead of five), each kind an
// UNWIND over its rows in a unit subquery, after write_nodes made every node they join; a part
// whose list is empty does nothing, and the caller always sends every list (a stable parameter
// shape, one cached plan). Every lineage edge is written with its FLOWS_TO mirror in flow
// direction (schema/MODEL.md). Checked before (graph/ingest_plan.py): the ends exist, an artifact
// has no other producer, no edge closes a cycle. An artifact is found by its label's unique ref;
// the CASE routes a ref to the one label its prefix names (the other seeks get null, which finds
// nothing and locks nothing). Times arrive as ISO 8601 text and are stored as DateTime.
CYPHER replan=skip

// parents: a child run's CHILD_OF edge to its parent.
CALL () {
  UNWIND $parents AS row
  MATCH (c:Run {ref: row.child})
  MATCH (p:Run {ref: row.parent})
  MERGE (c)-[:CHILD_OF]->(p)
}
// produced: (Run)-[:PRODUCED]->(artifact), mirror run -> artifact.
CALL () {
  UNWIND $produced AS row
  MATCH (r:Run {ref: row.run})
  CALL (row) {
    MATCH (a:DatasetSnapshot {ref: CASE WHEN row.ref STARTS WITH 'dataset:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:FeatureDefinition {ref: CASE WHEN row.ref STARTS WITH 'feature:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:Model {ref: CASE WHEN row.ref STARTS WITH 'model:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:EvaluationReport {ref: CASE WHEN row.ref STARTS WITH 'report:' THEN row.ref END}) RETURN a
  }
  MERGE (r)-[:PRODUCED]->(a)
  MERGE (r)-[f:FLOWS_TO]->(a)
    ON CREATE SET f.kind = 'PRODUCED'
}
// derived: (FeatureDefinition)-[:DERIVED_FROM]->(snapshot or feature), mirror source -> feature.
CALL () {
  UNWIND $derived AS row
  MATCH (f:FeatureDefinition {ref: row.feature})
  CALL (row) {
    MATCH (s:DatasetSnapshot {ref: CASE WHEN row.source STARTS WITH 'dataset:' THEN row.source END}) RETURN s
    UNION ALL
    MATCH (s:FeatureDefinition {ref: CASE WHEN row.source STARTS WITH 'feature:' THEN row.source END}) RETURN s
  }
  MERGE (f)-[:DERIVED_FROM]->(s)
  MERGE (s)-[m:FLOWS_TO]->(f)
    ON CREATE SET m.kind = 'DERIVED_FROM'
}
// evaluates: (EvaluationReport)-[:EVALUATES]->(Model), mirror model -> report.
CALL () {
  UNWIND $evaluates AS row
  MATCH (e:EvaluationReport {ref: row.report})
  MATCH (m:Model {ref: row.model})
  MERGE (e)-[:EVALUATES]->(m)
  MERGE (m)-[f:FLOWS_TO]->(e)
    ON CREATE SET f.kind = 'EVALUATES'
}
// consumed: (Run)-[:CONSUMED]->(artifact), mirror artifact -> run. One row per (run, artifact);
// `eventIds` are the dataset:<name> consume events bound to this edge, kept so that their
// replays bind the same way (an edge made from specific refs only has none: left unset).
CALL () {
  UNWIND $consumed AS row
  MATCH (r:Run {ref: row.run})
  CALL (row) {
    MATCH (a:DatasetSnapshot {ref: CASE WHEN row.ref STARTS WITH 'dataset:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:FeatureDefinition {ref: CASE WHEN row.ref STARTS WITH 'feature:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:Model {ref: CASE WHEN row.ref STARTS WITH 'model:' THEN row.ref END}) RETURN a
    UNION ALL
    MATCH (a:EvaluationReport {ref: CASE WHEN row.ref STARTS WITH 'report:' THEN row.ref END}) RETURN a
  }
  MERGE (r)-[c:CONSUMED]->(a)
    ON CREATE SET c.time = datetime(row.time)
  FOREACH (ids IN CASE WHEN size(row.eventIds) > 0 THEN [row.eventIds] ELSE [] END |
    SET c.eventIds = coalesce(c.eventIds, []) + [e IN ids WHERE NOT e IN coalesce(c.eventIds, [])]
  )
  MERGE (a)-[f:FLOWS_TO]->(r)
    ON CREATE SET f.kind = 'CONSUMED'
}
RETURN size($parents) + size($produced) + size($derived) + size($evaluates) + size($consumed)
       AS written
