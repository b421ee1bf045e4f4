// Blob references: garbage collection asks which digests (and blob uris) any artifact node
// references, and a verified upload promotes the PENDING artifacts of its digest. Both look
// artifacts up by digest and by uri (cypher/blobs/), one index seek per label.
CREATE INDEX model_digest IF NOT EXISTS FOR (n:Model) ON (n.digest);
CREATE INDEX model_uri IF NOT EXISTS FOR (n:Model) ON (n.uri);
CREATE INDEX dataset_snapshot_digest IF NOT EXISTS FOR (n:DatasetSnapshot) ON (n.digest);
CREATE INDEX dataset_snapshot_uri IF NOT EXISTS FOR (n:DatasetSnapshot) ON (n.uri);
CREATE INDEX feature_definition_digest IF NOT EXISTS FOR (n:FeatureDefinition) ON (n.digest);
CREATE INDEX feature_definition_uri IF NOT EXISTS FOR (n:FeatureDefinition) ON (n.uri);
CREATE INDEX evaluation_report_digest IF NOT EXISTS FOR (n:EvaluationReport) ON (n.digest);
CREATE INDEX evaluation_report_uri IF NOT EXISTS FOR (n:EvaluationReport) ON (n.uri);
