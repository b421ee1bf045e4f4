// name: graph_counts
// mode: read
// params: none
// How many nodes and relationships the graph holds: tests check that a rejected event stored
// nothing.
CALL () {
  MATCH (n) WHERE NOT n:SchemaMigration
  RETURN count(n) AS nodes
}
CALL () {
  MATCH ()-[e]->()
  RETURN count(e) AS relationships
}
RETURN nodes, relationships
