// name: referenced_digests
// mode: read
// params: blobs
// Which of these blobs ({digest, uri} pairs: the digest and its s3://bucket/blobs/... address)
// does any artifact node reference, by digest or by uri, whatever its status (PENDING included),
// or any run hold as the stored diff of its dirty checkout (codeDiffDigest)?
// Garbage collection keeps every blob returned. One index seek per label and property
// (schema/neo4j/0005_artifact_blob_refs.cypher); EXISTS stops at the first match.
UNWIND $blobs AS b
WITH b
WHERE EXISTS { MATCH (n:Model {digest: b.digest}) }
   OR EXISTS { MATCH (n:DatasetSnapshot {digest: b.digest}) }
   OR EXISTS { MATCH (n:FeatureDefinition {digest: b.digest}) }
   OR EXISTS { MATCH (n:EvaluationReport {digest: b.digest}) }
   OR EXISTS { MATCH (n:Model {uri: b.uri}) }
   OR EXISTS { MATCH (n:DatasetSnapshot {uri: b.uri}) }
   OR EXISTS { MATCH (n:FeatureDefinition {uri: b.uri}) }
   OR EXISTS { MATCH (n:EvaluationReport {uri: b.uri}) }
   OR EXISTS { MATCH (n:Run {codeDiffDigest: b.digest}) }
RETURN DISTINCT b.digest AS digest
