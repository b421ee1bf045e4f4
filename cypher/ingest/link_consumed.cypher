// name: link_consumed
// mode: write
// params: rows
// (Run)-[:CONSUMED]->(artifact) plus its FLOWS_TO mirror artifact->run, the edge traversals
// follow (schema/MODEL.md). One row per (run, artifact); `eventIds` are the dataset:<name>
// consume events bound to this edge, kept so that their replays bind the same way (an edge
// made from specific refs only has none: the property is left unset).
// Times arrive as ISO 8601 text (graph/ingest.py _wire) and are stored as DateTime.
UNWIND $rows AS row
MATCH (r:Run {ref: row.run})
CALL (row) {
  MATCH (a:DatasetSnapshot {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:FeatureDefinition {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:Model {ref: row.ref}) RETURN a
  UNION ALL
  MATCH (a:EvaluationReport {ref: row.ref}) RETURN a
}
MERGE (r)-[c:CONSUMED]->(a)
  ON CREATE SET c.time = datetime(row.time)
FOREACH (ids IN CASE WHEN size(row.eventIds) > 0 THEN [row.eventIds] ELSE [] END |
  SET c.eventIds = coalesce(c.eventIds, []) + [e IN ids WHERE NOT e IN coalesce(c.eventIds, [])]
)
MERGE (a)-[f:FLOWS_TO]->(r)
  ON CREATE SET f.kind = 'CONSUMED'
RETURN count(c) AS written
