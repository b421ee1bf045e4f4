// name: record_migration
// mode: write
// params: id, checksum
// Records one applied migration; MERGE keeps a second start-up from recording it twice.
MERGE (m:SchemaMigration {id: $id})
ON CREATE SET m.checksum = $checksum, m.appliedAt = datetime()
RETURN m.id AS id
