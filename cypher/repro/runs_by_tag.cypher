// name: runs_by_tag
// mode: read
// params: tagKey, tagValue, limit
// The completed runs carrying a tag (a trial group given as key=value), oldest first. Tags are
// parallel tagKeys/tagValues arrays on the run (schema/MODEL.md).
MATCH (r:Run)
WHERE r.status = 'COMPLETED'
  AND any(i IN range(0, size(coalesce(r.tagKeys, [])) - 1)
        WHERE r.tagKeys[i] = $tagKey AND r.tagValues[i] = $tagValue)
RETURN r.ref AS ref
ORDER BY r.createdAt, r.ref
LIMIT $limit
