// name: create_probe_run
// mode: write
// params: ref, name, tags
// Used only by the smoke tests: a plain CREATE, so that the uniqueness constraint on Run.ref
// (not a MERGE) is what stops a second node with the same ref.
CREATE (r:Run {ref: $ref, name: $name, tags: $tags})
RETURN r.ref AS ref, r.name AS name, r.tags AS tags
