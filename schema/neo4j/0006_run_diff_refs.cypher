// A run's stored diff (code.diff_ref, the blob of `git diff HEAD` of a dirty checkout) is a blob
// reference too: garbage collection looks runs up by it (cypher/blobs/referenced_digests.cypher).
CREATE INDEX run_code_diff_digest IF NOT EXISTS FOR (n:Run) ON (n.codeDiffDigest);
