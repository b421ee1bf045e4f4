// name: node_states
// mode: read
// params: refs
// `CYPHER replan=skip`: unique-ref seeks and expansions from the node found, a plan that
// statistics do not change (while the graph was young Neo4j planned it again every few batches,
// 1-4 s each on a loaded box).
// What a batch needs to know about the nodes it names: kind, digest, status, producer, sources,
// evaluated model and parent, and an artifact's deprecation (the consume rule). Each ref is looked up by label and unique ref (one index seek per
// label; a ref matches at most one of them).
CYPHER replan=skip
UNWIND $refs AS ref
CALL (ref) {
  MATCH (n:Run {ref: CASE WHEN ref STARTS WITH 'run:' THEN ref END}) RETURN n
  UNION ALL
  MATCH (n:DatasetSnapshot {ref: CASE WHEN ref STARTS WITH 'dataset:' AND ref CONTAINS '@' THEN ref END}) RETURN n
  UNION ALL
  MATCH (n:FeatureDefinition {ref: CASE WHEN ref STARTS WITH 'feature:' THEN ref END}) RETURN n
  UNION ALL
  MATCH (n:Model {ref: CASE WHEN ref STARTS WITH 'model:' THEN ref END}) RETURN n
  UNION ALL
  MATCH (n:EvaluationReport {ref: CASE WHEN ref STARTS WITH 'report:' THEN ref END}) RETURN n
  UNION ALL
  MATCH (n:Dataset {ref: CASE WHEN ref STARTS WITH 'dataset:' AND NOT ref CONTAINS '@' THEN ref END}) RETURN n
}
RETURN ref,
       n.kind AS kind,
       n.digest AS digest,
       n.status AS status,
       n.createdAt AS createdAt,
       n.deprecated AS deprecated,
       n.deprecationReason AS deprecationReason,
       n.deprecationSunset AS deprecationSunset,
       n.deprecationReplacement AS deprecationReplacement,
       COLLECT { MATCH (n)<-[:PRODUCED]-(p:Run) RETURN p.ref } AS producers,
       COLLECT { MATCH (n)-[:DERIVED_FROM]->(s) RETURN s.ref } AS sources,
       COLLECT { MATCH (n)-[:EVALUATES]->(m:Model) RETURN m.ref } AS evaluates,
       COLLECT { MATCH (n)-[:CHILD_OF]->(q:Run) RETURN q.ref } AS parents
