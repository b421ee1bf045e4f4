// name: mirror_drift
// mode: read
// params: none
// Consistency check of the FLOWS_TO mirror (schema/MODEL.md): lineage edges without their mirror
// and mirrors without their edge. Both counts are zero when every writer keeps the mirror; tests
// assert it, and sync_mirrors repairs what it finds around given nodes.
CALL () {
  MATCH (r:Run)-[:CONSUMED]->(a) WHERE NOT (a)-[:FLOWS_TO]->(r) RETURN count(*) AS n
  UNION ALL
  MATCH (r:Run)-[:PRODUCED]->(a) WHERE NOT (r)-[:FLOWS_TO]->(a) RETURN count(*) AS n
  UNION ALL
  MATCH (f)-[:DERIVED_FROM]->(s) WHERE NOT (s)-[:FLOWS_TO]->(f) RETURN count(*) AS n
  UNION ALL
  MATCH (e)-[:EVALUATES]->(m) WHERE NOT (m)-[:FLOWS_TO]->(e) RETURN count(*) AS n
}
WITH sum(n) AS missing
CALL () {
  MATCH (u)-[f:FLOWS_TO]->(v)
  WHERE NOT (
    (f.kind = 'CONSUMED' AND (v)-[:CONSUMED]->(u)) OR
    (f.kind = 'PRODUCED' AND (u)-[:PRODUCED]->(v)) OR
    (f.kind = 'DERIVED_FROM' AND (v)-[:DERIVED_FROM]->(u)) OR
    (f.kind = 'EVALUATES' AND (v)-[:EVALUATES]->(u))
  )
  RETURN count(f) AS stale
}
RETURN missing, stale
