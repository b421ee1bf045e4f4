// name: graph_counts
// mode: read
// params: none
// How many nodes and relationships the graph holds: tests check that a rejected event stored
// nothing. Bookkeeping nodes (migrations, the lineage lock the service makes at start-up) are
// not counted.
CALL () {
  MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:LineageLock
  RETURN count(n) AS nodes
}
CALL () {
  MATCH ()-[e]->()
  RETURN count(e) AS relationships
}
RETURN nodes, relationships
