// name: token_by_hash
// mode: read
// params: hash
// The token a request presents, found by the hash of its secret (unique index seek).
MATCH (t:ApiToken {hash: $hash})
WHERE t.revokedAt IS NULL
RETURN t.id AS id, t.name AS name, t.scope AS scope
