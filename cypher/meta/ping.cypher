// name: ping
// mode: read
// params: none
// The readiness probe: proves the database answers a query, not just a socket.
RETURN 1 AS ok
