"""Garbage collection: remove blobs no artifact references, and uploads never committed.

A blob goes only if all hold, the last three re-checked right before the delete and after our
tombstone is down (the protocol in claims.py): older than the cutoff, no claim since the cutoff
(no upload or dedup hit in the grace window), and ``referenced`` (the graph: any artifact node,
PENDING included, with this digest) does not name it. ``dry_run`` lists and changes nothing.
Ages are the S3 server's LastModified against this machine's clock: keep ``older_than`` well above
any clock skew (the CLI's default is 24 h). Listings may floor LastModified to whole seconds
(versitygw does), so an object counts as old only when it is old by one more second than asked.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from minio import Minio
from minio.error import S3Error

from lineagegraph.blobs import multipart
from lineagegraph.blobs.claims import has_claim_since, put_tombstone, remove_key
from lineagegraph.blobs.keys import (
    BLOB_PREFIX,
    CLAIM_PREFIX,
    TOMBSTONE_PREFIX,
    blob_key,
    digest_of_key,
)
from lineagegraph.blobs.verify import head

log = logging.getLogger("lineagegraph.blobs.gc")
References = Callable[[Collection[str]], Collection[str]]
BATCH = 1000
STALE_TOMBSTONE = timedelta(hours=1)  # a run holds one for milliseconds; older ones are crashes
# S3 listings may floor LastModified to the second; a timestamp means "at most this much later"
TIMESTAMP_RESOLUTION = timedelta(seconds=1)


def references_from(digests: Iterable[str]) -> References:
    """A ``referenced`` callable over a fixed set (tests, or a snapshot taken by the caller)."""
    known = frozenset(digests)
    return lambda batch: known.intersection(batch)


@dataclass(frozen=True)
class GcBlob:
    digest: str
    size: int
    last_modified: datetime | None


@dataclass(frozen=True)
class GcUpload:
    key: str
    upload_id: str
    initiated: datetime


@dataclass
class GcReport:
    dry_run: bool
    cutoff: datetime
    removed: list[GcBlob] = field(default_factory=list)  # would be removed, in a dry run
    aborted: list[GcUpload] = field(default_factory=list)
    kept_referenced: int = 0
    kept_recent: int = 0
    kept_on_recheck: list[str] = field(default_factory=list)  # saved by a concurrent claim/ref
    removed_claims: int = 0
    removed_tombstones: int = 0

    @property
    def bytes_freed(self) -> int:
        return sum(blob.size for blob in self.removed)


def _listing(client: Minio, bucket: str, prefix: str) -> Iterator[tuple[str, int, datetime | None]]:
    for obj in client.list_objects(bucket, prefix=prefix, recursive=True):
        yield obj.object_name or "", int(obj.size or 0), obj.last_modified


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def collect_garbage(
    client: Minio,
    bucket: str,
    referenced: References,
    older_than: timedelta,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> GcReport:
    if older_than < timedelta(0):
        raise ValueError("older_than must be >= 0")
    cutoff = (now or datetime.now(UTC)) - older_than - TIMESTAMP_RESOLUTION
    report = GcReport(dry_run=dry_run, cutoff=cutoff)
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"

    newest_claim: dict[str, datetime] = {}
    old_claims: list[str] = []
    for key, _, when in _listing(client, bucket, CLAIM_PREFIX):
        digest = digest_of_key(key, CLAIM_PREFIX)
        if digest is None or when is None:
            continue
        newest_claim[digest] = max(when, newest_claim.get(digest, when))
        if when < cutoff:
            old_claims.append(key)

    def claimed(digest: str) -> bool:
        when = newest_claim.get(digest)
        return when is not None and when >= cutoff

    old: dict[str, GcBlob] = {}
    for key, size, when in _listing(client, bucket, BLOB_PREFIX):
        digest = digest_of_key(key)
        if digest is None:
            continue
        if when is None or when >= cutoff or claimed(digest):
            report.kept_recent += 1
        else:
            old[digest] = GcBlob(digest, size, when)
    unreferenced: list[str] = []
    for batch in _batches(sorted(old)):
        named = set(referenced(batch))
        report.kept_referenced += len(named.intersection(batch))
        unreferenced += [d for d in batch if d not in named]

    for digest in unreferenced:
        if dry_run or _remove_if_still_garbage(client, bucket, digest, referenced, cutoff, run_id):
            report.removed.append(old[digest])
        else:
            report.kept_on_recheck.append(digest)

    _abort_stale_uploads(client, bucket, cutoff, claimed, report)
    if not dry_run:
        for key in old_claims:
            remove_key(client, bucket, key)
            report.removed_claims += 1
        stale = (now or datetime.now(UTC)) - STALE_TOMBSTONE
        for key, _, when in _listing(client, bucket, TOMBSTONE_PREFIX):
            if when is not None and when < stale:
                remove_key(client, bucket, key)
                report.removed_tombstones += 1
    log.info(
        "gc%s: %d blobs (%d bytes) removed, %d uploads aborted, %d referenced, %d recent",
        " (dry run)" if dry_run else "",
        len(report.removed),
        report.bytes_freed,
        len(report.aborted),
        report.kept_referenced,
        report.kept_recent,
    )
    return report


def _remove_if_still_garbage(
    client: Minio,
    bucket: str,
    digest: str,
    referenced: References,
    cutoff: datetime,
    run_id: str,
) -> bool:
    tombstone = put_tombstone(client, bucket, digest, run_id)
    try:
        if has_claim_since(client, bucket, digest, cutoff):
            return False
        if digest in set(referenced([digest])):
            return False
        state = head(client, bucket, blob_key(digest))
        if state is None:
            return False
        if state.last_modified is None or state.last_modified >= cutoff:
            return False  # uploaded again since we listed it
        remove_key(client, bucket, blob_key(digest))
        return True
    finally:
        remove_key(client, bucket, tombstone)


def _abort_stale_uploads(
    client: Minio,
    bucket: str,
    cutoff: datetime,
    claimed: Callable[[str], bool],
    report: GcReport,
) -> None:
    for upload in list(multipart.list_uploads(client, bucket, BLOB_PREFIX)):
        digest = digest_of_key(upload.key)
        if upload.initiated >= cutoff or (digest is not None and claimed(digest)):
            continue
        if digest is not None and has_claim_since(client, bucket, digest, cutoff):
            continue
        entry = GcUpload(upload.key, upload.upload_id, upload.initiated)
        if report.dry_run:
            report.aborted.append(entry)
            continue
        try:
            if multipart.abort(client, bucket, upload.key, upload.upload_id):
                report.aborted.append(entry)
        except S3Error as exc:
            log.warning(
                "could not abort upload %s of %s: %s", upload.upload_id, upload.key, exc.code
            )
