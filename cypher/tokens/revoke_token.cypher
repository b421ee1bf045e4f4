// name: revoke_token
// mode: write
// params: id, now
// Revokes a token by id; a revoked token no longer authenticates.
MATCH (t:ApiToken {id: $id})
SET t.revokedAt = coalesce(t.revokedAt, $now)
RETURN t.id AS id
