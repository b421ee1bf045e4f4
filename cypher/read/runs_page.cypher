// name: runs_page
// mode: read
// params: name, status, tagKey, tagValue, jobNamespace, jobName, from, to, createdBefore, afterRef, limit
// One page of runs, newest first, paged by (createdAt, ref). The createdAt range [from, to] is
// always bound (the store fills the open ends), so the planner walks the createdAt index in
// order and stops after `limit` rows instead of sorting every run. `to` is the cursor's time when
// paging; rows at that very time are kept only below the cursor's ref.
MATCH (r:Run)
WHERE r.createdAt >= $from AND r.createdAt <= $to
  AND ($createdBefore IS NULL OR r.createdAt < $createdBefore)
  AND ($afterRef IS NULL OR r.createdAt < $to OR r.ref < $afterRef)
  AND ($name IS NULL OR r.name = $name)
  AND ($status IS NULL OR r.status = $status)
  AND ($jobNamespace IS NULL OR r.jobNamespace = $jobNamespace)
  AND ($jobName IS NULL OR r.jobName = $jobName)
  AND ($tagKey IS NULL OR any(i IN range(0, size(coalesce(r.tagKeys, [])) - 1)
        WHERE r.tagKeys[i] = $tagKey AND ($tagValue IS NULL OR r.tagValues[i] = $tagValue)))
RETURN r.ref AS ref, properties(r) AS props
ORDER BY r.createdAt DESC, r.ref DESC
LIMIT $limit
