// Reproducibility checks (schema/MODEL.md, "Reproducibility checks"): each verdict is one
// ReproducibilityCheck node, found by its ref (check:<uuid>); a run's checks are reached through
// its incoming CHECKED edges, newest first by createdAt.
CREATE CONSTRAINT reproducibility_check_ref IF NOT EXISTS FOR (n:ReproducibilityCheck) REQUIRE n.ref IS UNIQUE;
CREATE INDEX reproducibility_check_created_at IF NOT EXISTS FOR (n:ReproducibilityCheck) ON (n.createdAt);
