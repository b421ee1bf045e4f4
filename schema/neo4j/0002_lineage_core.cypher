// The lineage core (schema/MODEL.md explains each choice).
// Lookup keys of the service's own nodes: the lock that serialises lineage writes, metric series
// (one node per run and key, never one per point) and API tokens (found by the hash of the token).
CREATE CONSTRAINT lineage_lock_id IF NOT EXISTS FOR (n:LineageLock) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT metric_series_id IF NOT EXISTS FOR (n:MetricSeries) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT api_token_hash IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.hash IS UNIQUE;
// Listings page newest first by createdAt (index order, no sort of the whole label) and filter by
// name and status; auto-numbered versions look up the existing versions of one name.
CREATE INDEX run_created_at IF NOT EXISTS FOR (n:Run) ON (n.createdAt);
CREATE INDEX run_name IF NOT EXISTS FOR (n:Run) ON (n.name);
CREATE INDEX run_status IF NOT EXISTS FOR (n:Run) ON (n.status);
CREATE INDEX run_job IF NOT EXISTS FOR (n:Run) ON (n.jobNamespace, n.jobName);
CREATE INDEX dataset_created_at IF NOT EXISTS FOR (n:Dataset) ON (n.createdAt);
CREATE INDEX dataset_name IF NOT EXISTS FOR (n:Dataset) ON (n.name);
CREATE INDEX dataset_snapshot_created_at IF NOT EXISTS FOR (n:DatasetSnapshot) ON (n.createdAt);
CREATE INDEX dataset_snapshot_name IF NOT EXISTS FOR (n:DatasetSnapshot) ON (n.name);
CREATE INDEX feature_definition_created_at IF NOT EXISTS FOR (n:FeatureDefinition) ON (n.createdAt);
CREATE INDEX feature_definition_name IF NOT EXISTS FOR (n:FeatureDefinition) ON (n.name);
CREATE INDEX model_created_at IF NOT EXISTS FOR (n:Model) ON (n.createdAt);
CREATE INDEX model_name IF NOT EXISTS FOR (n:Model) ON (n.name);
CREATE INDEX evaluation_report_created_at IF NOT EXISTS FOR (n:EvaluationReport) ON (n.createdAt);
CREATE INDEX evaluation_report_name IF NOT EXISTS FOR (n:EvaluationReport) ON (n.name);
