"""Upload one file: hash it, ask for a plan, PUT what S3 lacks (parts in parallel), commit."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import httpx

from lineagegraph.blob_protocol import (
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    BeginUpload,
    BlobInfo,
    BlobTooLarge,
    CommitUpload,
    CompletedPart,
    DigestMismatch,
    PartRequest,
    PresignedRequest,
    PresignedUrlExpired,
    PresignParts,
    StoredPart,
    TransferFailed,
    UploadLimits,
    UploadNotFound,
    UploadPlan,
    normalize_digest,
)
from lineagegraph.errors import BadInput
from lineagegraph.sdk._digest_cache import DigestCache, FileKey
from lineagegraph.sdk._hashing import (
    crc32_range,
    input_file_size,
    iter_range,
    sha256_and_part_crcs,
)
from lineagegraph.sdk._progress import PhaseStarter, Progress
from lineagegraph.sdk._s3http import (
    Expired,
    Retryable,
    RetryPolicy,
    TransferStats,
    call_service,
    counted,
    put,
)
from lineagegraph.sdk._service import BlobService


@dataclass(frozen=True)
class UploadResult:
    blob: BlobInfo
    deduplicated: bool  # the blob was stored already: no bytes sent
    stats: TransferStats  # of this upload alone


@dataclass
class _Job:
    service: BlobService
    http: httpx.Client
    path: Path
    size: int
    digest: str
    media_type: str | None
    policy: RetryPolicy
    concurrency: int
    stats: TransferStats
    progress: Progress | None
    part_size: int | None = None  # the part size ``crcs`` were computed for
    crcs: tuple[int, ...] = ()


def expected_part_size(size: int, limits: UploadLimits) -> int | None:
    """The part size the service will plan for ``size`` (as blobs/uploads.py computes it), or
    None for a single PUT: the hash pass computes part CRC32s for it in the same read."""
    if size < min(limits.multipart_threshold, MAX_PART_SIZE):
        return None
    needed = -(-size // MAX_PARTS)
    mib = 1024**2
    part = max(limits.multipart_part_size, MIN_PART_SIZE, -(-needed // mib) * mib)
    return min(part, MAX_PART_SIZE)


def _digest_of(
    where: Path,
    size: int,
    limits: UploadLimits,
    cache: DigestCache | None,
    phases: PhaseStarter | None,
) -> tuple[str, int | None, list[int]]:
    """(digest, part size of the CRCs, CRCs): from the digest cache when it knows this exact
    file version (then no pass at all), else one read computing SHA-256 and part CRC32s."""
    before = where.stat()
    key = FileKey.of(before)
    if cache is not None and (known := cache.get(key)) is not None:
        if phases is not None:
            phases("hash", size)(size)
        return known, None, []
    started = time.time_ns()
    part_size = expected_part_size(size, limits)
    digest, hashed, crcs = sha256_and_part_crcs(
        where, part_size, phases("hash", size) if phases else None
    )
    after = where.stat()
    if hashed != size or FileKey.of(after) != key:
        raise BadInput(f"{where} changed while being read: try again", field="path")
    if cache is not None:
        cache.put(key, digest, hashed_from_ns=started)
    return digest, part_size, crcs


def upload_file(
    service: BlobService,
    http: httpx.Client,
    path: str | os.PathLike[str],
    limits: UploadLimits,
    *,
    media_type: str | None = None,
    expected_digest: str | None = None,
    policy: RetryPolicy,
    concurrency: int,
    phases: PhaseStarter | None = None,
    digest_cache: DigestCache | None = None,
) -> UploadResult:
    where = Path(path)
    size = input_file_size(where)
    if size > limits.max_artifact_size:  # before reading a byte of it
        raise BlobTooLarge(size, limits.max_artifact_size)
    digest, crc_part_size, crcs = _digest_of(where, size, limits, digest_cache, phases)
    if expected_digest is not None and normalize_digest(expected_digest) != digest:
        raise DigestMismatch(
            f"{where} hashes to {digest}, not the declared {normalize_digest(expected_digest)}; "
            "nothing was uploaded",
            actual=digest,
        )
    stats = TransferStats()
    job = _Job(
        service,
        http,
        where,
        size,
        digest,
        media_type,
        policy,
        concurrency,
        stats,
        None,
        crc_part_size,
        tuple(crcs),
    )
    svc = service
    for round_ in range(2):
        plan = call_service(
            lambda: svc.begin_upload(BeginUpload(digest=digest, size=size, media_type=media_type)),
            policy,
        )
        if plan.state == "stored":
            assert plan.blob is not None
            return UploadResult(plan.blob, True, stats)
        if job.progress is None and phases is not None:
            job.progress = phases("upload", size)
        try:
            blob = _single(job, plan) if plan.state == "single" else _multipart(job, plan)
        except UploadNotFound:
            if round_ == 1:
                raise
            continue  # aborted (or finished) meanwhile: ask again, it may be stored now
        return UploadResult(blob, blob.deduplicated, stats)
    raise AssertionError("unreachable")


def _single(job: _Job, plan: UploadPlan) -> BlobInfo:
    svc = job.service
    last: Exception | None = None
    for attempt in range(job.policy.attempts):
        if plan.state == "stored" and plan.blob is not None:
            return plan.blob
        assert plan.single is not None
        tally = [0]
        body = iter(()) if job.size == 0 else iter_range(job.path, 0, job.size)
        try:
            put(
                job.http,
                plan.single,
                counted(body, job.stats, job.progress, tally),
                job.size,
                "upload",
                job.stats,
            )
            break
        except Expired as exc:
            last = exc
            plan = call_service(
                lambda: svc.begin_upload(
                    BeginUpload(digest=job.digest, size=job.size, media_type=job.media_type)
                ),
                job.policy,
            )
        except Retryable as exc:
            last = exc
            job.policy.pause(attempt)
        _undo(job, tally)
    else:
        raise _gave_up("the upload", job.policy.attempts, last)
    return call_service(
        lambda: svc.commit_upload(
            CommitUpload(digest=job.digest, size=job.size, media_type=job.media_type)
        ),
        job.policy,
    )


def _undo(job: _Job, tally: list[int]) -> None:
    job.stats.add(retries=1)
    if job.progress is not None and tally[0]:
        job.progress(-tally[0])


def _gave_up(what: str, attempts: int, last: Exception | None) -> Exception:
    if isinstance(last, Expired):
        return PresignedUrlExpired(
            f"{what}: S3 refused the presigned URL as expired {attempts} times "
            "(is presign_expiry_seconds far too short, or this machine's clock off?)"
        )
    hint = " (did the file change while uploading?)" if last and "BadDigest" in str(last) else ""
    return TransferFailed(f"{what} failed {attempts} times; last: {last}{hint}")


def _multipart(job: _Job, plan: UploadPlan) -> BlobInfo:
    assert plan.upload_id is not None
    assert plan.part_size is not None
    stop = threading.Event()
    stored = {p.number: p for p in plan.stored_parts}
    numbers = range(1, plan.part_count + 1)
    workers = max(1, min(job.concurrency, plan.part_count))
    with ThreadPoolExecutor(workers, thread_name_prefix="lineage-upload") as pool:
        futures = [pool.submit(_guarded_part, job, plan, n, stored.get(n), stop) for n in numbers]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if f.exception() is not None]
        if failed:
            stop.set()
            for future in futures:
                future.cancel()
            # The part that gave up, not one that merely saw the stop.
            errors = [f.exception() for f in sorted(failed, key=futures.index)]
            error = next((e for e in errors if not isinstance(e, _Stopped)), errors[0])
            assert error is not None
            raise error
        parts = [f.result() for f in futures]
    svc = job.service
    request = CommitUpload(
        digest=job.digest,
        size=job.size,
        upload_id=plan.upload_id,
        parts=parts,
        media_type=job.media_type,
    )
    return call_service(lambda: svc.commit_upload(request), job.policy)


class _Stopped(Exception):
    pass


def _guarded_part(
    job: _Job, plan: UploadPlan, number: int, stored: StoredPart | None, stop: threading.Event
) -> CompletedPart:
    """A part whose failure stops the others at once: set in the worker itself, before it can
    take the next queued part (the caller's wait() wakes later)."""
    try:
        return _send_part(job, plan, number, stored, stop)
    except BaseException:
        stop.set()
        raise


def _send_part(
    job: _Job, plan: UploadPlan, number: int, stored: StoredPart | None, stop: threading.Event
) -> CompletedPart:
    assert plan.upload_id is not None
    assert plan.part_size is not None
    offset = (number - 1) * plan.part_size
    length = max(0, min(plan.part_size, job.size - offset))
    if job.part_size == plan.part_size and number <= len(job.crcs):
        crc = job.crcs[number - 1]  # from the hash pass: no second read
    else:
        crc, got = crc32_range(job.path, offset, length)
        if got != length:
            raise BadInput(f"{job.path} got shorter while uploading: try again", field="path")
    checksum = base64.b64encode(crc.to_bytes(4, "big")).decode()
    if stored is not None and stored.size == length and stored.crc32 == checksum:
        job.stats.add(parts_reused=1)
        if job.progress is not None:
            job.progress(length)
        return CompletedPart(number=number, etag=stored.etag)
    svc = job.service
    presign: Callable[[], list[PresignedRequest]] = lambda: svc.presign_parts(  # noqa: E731
        PresignParts(
            digest=job.digest,
            size=job.size,
            upload_id=plan.upload_id or "",
            part_size=plan.part_size or 0,
            parts=[PartRequest(number=number, crc32=checksum)],
        )
    )
    request: PresignedRequest | None = None
    last: Exception | None = None
    for attempt in range(job.policy.attempts):
        if stop.is_set():
            raise _Stopped
        if request is None:
            request = call_service(presign, job.policy)[0]
        tally = [0]
        try:
            etag = put(
                job.http,
                request,
                counted(iter_range(job.path, offset, length), job.stats, job.progress, tally),
                length,
                f"part {number}",
                job.stats,
            )
            job.stats.add(parts_sent=1)
            return CompletedPart(number=number, etag=etag)
        except Expired as exc:
            last, request = exc, None
        except Retryable as exc:
            last = exc
            job.policy.pause(attempt)
        _undo(job, tally)
    raise _gave_up(f"part {number}", job.policy.attempts, last)
