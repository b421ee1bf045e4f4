// name: check_by_ref
// mode: read
// params: ref
// One reproducibility check by its ref (check:<uuid>).
MATCH (c:ReproducibilityCheck {ref: $ref})
RETURN properties(c) AS props
