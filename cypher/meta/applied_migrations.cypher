// name: applied_migrations
// mode: read
// params: none
// Which schema migrations are already recorded in the graph, with their checksums.
MATCH (m:SchemaMigration)
RETURN m.id AS id, m.checksum AS checksum
ORDER BY m.id
