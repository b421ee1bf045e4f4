// name: graph_fingerprint
// mode: read
// params: none
// Everything stored in the lineage graph (not the migration records nor the lineage lock): every
// node's labels and properties and every relationship with its ends' refs. Tests compare two of
// these to prove that a rejected request changed nothing.
RETURN COLLECT {
         MATCH (n)
         WHERE NOT n:SchemaMigration AND NOT n:LineageLock
         RETURN {labels: labels(n), props: properties(n)}
       } AS nodes,
       COLLECT {
         MATCH (a)-[r]->(b)
         RETURN {type: type(r), from: coalesce(a.ref, a.id), to: coalesce(b.ref, b.id),
                 props: properties(r)}
       } AS relationships
