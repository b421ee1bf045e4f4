// name: consume_bindings
// mode: read
// params: rows
// Which snapshot an earlier delivery of a `dataset:<name>` consume event bound to, so that a
// replay keeps that binding even when a newer snapshot exists by now.
UNWIND $rows AS row
MATCH (r:Run {ref: row.run})-[c:CONSUMED]->(a)
WHERE row.eventId IN coalesce(c.eventIds, [])
RETURN row.eventId AS eventId, a.ref AS ref
