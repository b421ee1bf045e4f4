// name: artifacts_page
// mode: read
// params: kinds, name, status, tagKey, tagValue, from, to, createdBefore, afterRef, limit
// One page of artifacts (and datasets) of the given kinds, newest first, paged by (createdAt,
// ref) like runs_page. Each kind is read from its own createdAt index in order and yields at most
// one page; the union is then cut to the page. A kind not asked for fails its constant predicate.
CALL () {
  MATCH (a:DatasetSnapshot)
  WHERE 'DATASET_SNAPSHOT' IN $kinds AND a.createdAt >= $from AND a.createdAt <= $to
    AND ($createdBefore IS NULL OR a.createdAt < $createdBefore)
    AND ($afterRef IS NULL OR a.createdAt < $to OR a.ref < $afterRef)
    AND ($name IS NULL OR a.name = $name)
    AND ($status IS NULL OR a.status = $status)
    AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(a.tagKeys, [])) - 1)
          WHERE a.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR a.tagValues[i] = $tagValue)))
  RETURN a
  ORDER BY a.createdAt DESC, a.ref DESC
  LIMIT $limit
  UNION ALL
  MATCH (a:FeatureDefinition)
  WHERE 'FEATURE_DEFINITION' IN $kinds AND a.createdAt >= $from AND a.createdAt <= $to
    AND ($createdBefore IS NULL OR a.createdAt < $createdBefore)
    AND ($afterRef IS NULL OR a.createdAt < $to OR a.ref < $afterRef)
    AND ($name IS NULL OR a.name = $name)
    AND ($status IS NULL OR a.status = $status)
    AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(a.tagKeys, [])) - 1)
          WHERE a.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR a.tagValues[i] = $tagValue)))
  RETURN a
  ORDER BY a.createdAt DESC, a.ref DESC
  LIMIT $limit
  UNION ALL
  MATCH (a:Model)
  WHERE 'MODEL' IN $kinds AND a.createdAt >= $from AND a.createdAt <= $to
    AND ($createdBefore IS NULL OR a.createdAt < $createdBefore)
    AND ($afterRef IS NULL OR a.createdAt < $to OR a.ref < $afterRef)
    AND ($name IS NULL OR a.name = $name)
    AND ($status IS NULL OR a.status = $status)
    AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(a.tagKeys, [])) - 1)
          WHERE a.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR a.tagValues[i] = $tagValue)))
  RETURN a
  ORDER BY a.createdAt DESC, a.ref DESC
  LIMIT $limit
  UNION ALL
  MATCH (a:EvaluationReport)
  WHERE 'EVALUATION_REPORT' IN $kinds AND a.createdAt >= $from AND a.createdAt <= $to
    AND ($createdBefore IS NULL OR a.createdAt < $createdBefore)
    AND ($afterRef IS NULL OR a.createdAt < $to OR a.ref < $afterRef)
    AND ($name IS NULL OR a.name = $name)
    AND ($status IS NULL OR a.status = $status)
    AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(a.tagKeys, [])) - 1)
          WHERE a.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR a.tagValues[i] = $tagValue)))
  RETURN a
  ORDER BY a.createdAt DESC, a.ref DESC
  LIMIT $limit
  UNION ALL
  MATCH (a:Dataset)
  WHERE 'DATASET' IN $kinds AND a.createdAt >= $from AND a.createdAt <= $to
    AND ($createdBefore IS NULL OR a.createdAt < $createdBefore)
    AND ($afterRef IS NULL OR a.createdAt < $to OR a.ref < $afterRef)
    AND ($name IS NULL OR a.name = $name)
    AND ($status IS NULL OR a.status = $status)
    AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(a.tagKeys, [])) - 1)
          WHERE a.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR a.tagValues[i] = $tagValue)))
  RETURN a
  ORDER BY a.createdAt DESC, a.ref DESC
  LIMIT $limit
}
RETURN a.ref AS ref, properties(a) AS props
ORDER BY a.createdAt DESC, a.ref DESC
LIMIT $limit
