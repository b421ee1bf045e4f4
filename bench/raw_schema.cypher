// Raw baseline, --raw-indexes service (the default): the secondary indexes the service's schema
// keeps (schema/neo4j/0002, 0005, 0006), on the baseline's Bench* labels, so that the raw UNWIND
// writes pay the same index upkeep at commit as the service's writes do. Its unique `ref` lookup
// is bench_node_ref (cypher/raw/constraint). Statements separated by `;`, like a migration.
CREATE INDEX bench_run_created_at IF NOT EXISTS FOR (n:BenchRun) ON (n.createdAt);
CREATE INDEX bench_run_name IF NOT EXISTS FOR (n:BenchRun) ON (n.name);
CREATE INDEX bench_run_status IF NOT EXISTS FOR (n:BenchRun) ON (n.status);
CREATE INDEX bench_run_job IF NOT EXISTS FOR (n:BenchRun) ON (n.jobNamespace, n.jobName);
CREATE INDEX bench_run_code_diff_digest IF NOT EXISTS FOR (n:BenchRun) ON (n.codeDiffDigest);
CREATE INDEX bench_dataset_created_at IF NOT EXISTS FOR (n:BenchDataset) ON (n.createdAt);
CREATE INDEX bench_dataset_name IF NOT EXISTS FOR (n:BenchDataset) ON (n.name);
CREATE INDEX bench_snapshot_created_at IF NOT EXISTS FOR (n:BenchDatasetSnapshot) ON (n.createdAt);
CREATE INDEX bench_snapshot_name IF NOT EXISTS FOR (n:BenchDatasetSnapshot) ON (n.name);
CREATE INDEX bench_snapshot_digest IF NOT EXISTS FOR (n:BenchDatasetSnapshot) ON (n.digest);
CREATE INDEX bench_snapshot_uri IF NOT EXISTS FOR (n:BenchDatasetSnapshot) ON (n.uri);
CREATE INDEX bench_feature_created_at IF NOT EXISTS FOR (n:BenchFeatureDefinition) ON (n.createdAt);
CREATE INDEX bench_feature_name IF NOT EXISTS FOR (n:BenchFeatureDefinition) ON (n.name);
CREATE INDEX bench_feature_digest IF NOT EXISTS FOR (n:BenchFeatureDefinition) ON (n.digest);
CREATE INDEX bench_feature_uri IF NOT EXISTS FOR (n:BenchFeatureDefinition) ON (n.uri);
CREATE INDEX bench_model_created_at IF NOT EXISTS FOR (n:BenchModel) ON (n.createdAt);
CREATE INDEX bench_model_name IF NOT EXISTS FOR (n:BenchModel) ON (n.name);
CREATE INDEX bench_model_digest IF NOT EXISTS FOR (n:BenchModel) ON (n.digest);
CREATE INDEX bench_model_uri IF NOT EXISTS FOR (n:BenchModel) ON (n.uri);
CREATE INDEX bench_report_created_at IF NOT EXISTS FOR (n:BenchEvaluationReport) ON (n.createdAt);
CREATE INDEX bench_report_name IF NOT EXISTS FOR (n:BenchEvaluationReport) ON (n.name);
CREATE INDEX bench_report_digest IF NOT EXISTS FOR (n:BenchEvaluationReport) ON (n.digest);
CREATE INDEX bench_report_uri IF NOT EXISTS FOR (n:BenchEvaluationReport) ON (n.uri);
CALL db.awaitIndexes(300);
