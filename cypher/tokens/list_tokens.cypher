// name: list_tokens
// mode: read
// params: none
// Every API token without its hash, for `lineage token list`.
MATCH (t:ApiToken)
RETURN t.id AS id, t.name AS name, t.scope AS scope, t.createdAt AS createdAt,
       t.revokedAt AS revokedAt
ORDER BY t.createdAt
