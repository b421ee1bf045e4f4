// name: wipe_graph
// mode: write
// params: none
// Deletes every node but the migration records, in batches; used to isolate tests.
MATCH (n) WHERE NOT n:SchemaMigration
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
