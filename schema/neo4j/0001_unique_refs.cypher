// Every node kind is addressed by its human ref; a uniqueness constraint on it gives the index
// that anchors every lookup and traversal, and makes concurrent registration of the same ref safe.
CREATE CONSTRAINT schema_migration_id IF NOT EXISTS FOR (m:SchemaMigration) REQUIRE m.id IS UNIQUE;
CREATE CONSTRAINT run_ref IF NOT EXISTS FOR (n:Run) REQUIRE n.ref IS UNIQUE;
CREATE CONSTRAINT dataset_ref IF NOT EXISTS FOR (n:Dataset) REQUIRE n.ref IS UNIQUE;
CREATE CONSTRAINT dataset_snapshot_ref IF NOT EXISTS FOR (n:DatasetSnapshot) REQUIRE n.ref IS UNIQUE;
CREATE CONSTRAINT feature_definition_ref IF NOT EXISTS FOR (n:FeatureDefinition) REQUIRE n.ref IS UNIQUE;
CREATE CONSTRAINT model_ref IF NOT EXISTS FOR (n:Model) REQUIRE n.ref IS UNIQUE;
CREATE CONSTRAINT evaluation_report_ref IF NOT EXISTS FOR (n:EvaluationReport) REQUIRE n.ref IS UNIQUE;
