// name: create_token
// mode: write
// params: id, name, scope, hash, now
// Stores a new API token: only the SHA-256 of the secret is kept; the secret is shown once.
CREATE (t:ApiToken {id: $id, name: $name, scope: $scope, hash: $hash, createdAt: $now})
RETURN t.id AS id
