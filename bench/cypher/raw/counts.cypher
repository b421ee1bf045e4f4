// name: counts
// mode: read
// params: none
// What the service's ingest stored (count store lookups), bench baseline nodes apart.
RETURN COUNT { MATCH (:Run) } AS runs,
       COUNT { MATCH (:Dataset) } AS datasets,
       COUNT { MATCH (:DatasetSnapshot) } AS snapshots,
       COUNT { MATCH (:FeatureDefinition) } AS features,
       COUNT { MATCH (:Model) } AS models,
       COUNT { MATCH (:EvaluationReport) } AS reports,
       COUNT { MATCH (:BenchNode) } AS baseline
