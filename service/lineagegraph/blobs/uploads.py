"""Server side of an upload: plan it, presign its parts, commit and verify it.

The service never streams the bytes: the client PUTs them to presigned URLs. Every URL signs the
SHA-256 and length of what it may carry, so S3 rejects anything else on arrival; commit then proves
the whole object (see verify.py) before anyone may call it AVAILABLE.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from minio.error import S3Error

from lineagegraph.blob_protocol import (
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    BeginUpload,
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    CommitUpload,
    DigestMismatch,
    PresignedRequest,
    PresignParts,
    StoredPart,
    UploadNotFound,
    UploadPlan,
    digest_b64,
    digest_hex,
)
from lineagegraph.blobs import multipart
from lineagegraph.blobs.claims import ensure_not_tombstoned, write_claim
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.verify import (
    Verified,
    mark_verified,
    read_sha256,
    remove_quietly,
    verify_blob,
)
from lineagegraph.errors import BadInput

if TYPE_CHECKING:
    from lineagegraph.blobs.store import BlobStore

log = logging.getLogger("lineagegraph.blobs")
MIB = 1024**2


def part_size_for(size: int, configured: int) -> int:
    """The configured part size, grown (in whole MiB) when the file would need > 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    part = max(configured, MIN_PART_SIZE, -(-needed // MIB) * MIB)
    return min(part, MAX_PART_SIZE)


def part_length(size: int, part_size: int, number: int) -> int:
    start = (number - 1) * part_size
    return max(0, min(part_size, size - start))


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def _check_size(store: BlobStore, size: int) -> None:
    if size > store.settings.max_artifact_size:
        raise BlobTooLarge(size, store.settings.max_artifact_size)


def _expiry(store: BlobStore) -> timedelta:
    return timedelta(seconds=store.settings.presign_expiry_seconds)


def claim(store: BlobStore, digest: str) -> None:
    """A claim first, then no tombstone (BlobBusy otherwise): the order claims.py relies on."""
    write_claim(store.client, store.bucket, digest)
    ensure_not_tombstoned(store.client, store.bucket, digest)


_claim = claim


def blob_info(
    store: BlobStore, digest: str, verified: Verified, *, deduplicated: bool = False
) -> BlobInfo:
    return BlobInfo(
        digest=digest,
        size=verified.size,
        uri=f"s3://{store.bucket}/{blob_key(digest)}",
        storage=f"s3://{store.bucket}",
        media_type=verified.content_type,
        verified_by=verified.verified_by,
        deduplicated=deduplicated,
    )


def _stored(store: BlobStore, digest: str, size: int) -> Verified | None:
    """The verified blob, or None; a corrupt object under the key is removed, not reported."""
    try:
        return verify_blob(store.client, store.bucket, digest, size)
    except DigestMismatch as exc:
        log.warning("removed a corrupt blob while planning an upload: %s", exc.message)
        return None


def begin_upload(store: BlobStore, request: BeginUpload) -> UploadPlan:
    digest, size = request.digest, request.size
    _check_size(store, size)
    _claim(store, digest)
    uri = f"s3://{store.bucket}/{blob_key(digest)}"
    found = _stored(store, digest, size)
    if found is not None:
        return UploadPlan(
            digest=digest,
            size=size,
            uri=uri,
            state="stored",
            blob=blob_info(store, digest, found, deduplicated=True),
        )
    key = blob_key(digest)
    threshold = min(store.settings.multipart_threshold, MAX_PART_SIZE)
    if size < threshold:
        headers = {
            "x-amz-checksum-sha256": digest_b64(digest),
            "content-length": str(size),
            "content-type": request.media_type or "application/octet-stream",
        }
        single = store.presigner.presign("PUT", store.bucket, key, _expiry(store), headers=headers)
        return UploadPlan(digest=digest, size=size, uri=uri, state="single", single=single)
    part_size = part_size_for(size, store.settings.multipart_part_size)
    upload_id, stored_parts = _resumable_upload(store, key, request.media_type)
    return UploadPlan(
        digest=digest,
        size=size,
        uri=uri,
        state="multipart",
        upload_id=upload_id,
        part_size=part_size,
        part_count=part_count(size, part_size),
        stored_parts=stored_parts,
    )


def _resumable_upload(
    store: BlobStore, key: str, media_type: str | None
) -> tuple[str, list[StoredPart]]:
    """The newest unfinished upload of this key (its parts can be reused), else a new one."""
    pending = sorted(
        (u for u in multipart.list_uploads(store.client, store.bucket, key) if u.key == key),
        key=lambda u: u.initiated,
        reverse=True,
    )
    for upload in pending:
        try:
            listed = multipart.list_parts(store.client, store.bucket, key, upload.upload_id)
        except S3Error as exc:
            if exc.code == "NoSuchUpload":
                continue
            raise
        parts = [
            StoredPart(number=p.number, size=p.size, crc32=p.crc32, etag=p.etag)
            for p in listed
            if p.crc32 and 1 <= p.number <= MAX_PARTS
        ]
        return upload.upload_id, parts
    return multipart.create(store.client, store.bucket, key, media_type), []


def presign_parts(store: BlobStore, request: PresignParts) -> list[PresignedRequest]:
    _check_size(store, request.size)
    if request.part_size < part_size_for(request.size, MIN_PART_SIZE):
        raise BadInput("part_size too small for this size (over 10,000 parts)", field="part_size")
    count = part_count(request.size, request.part_size)
    key, expiry = blob_key(request.digest), _expiry(store)
    urls = []
    for part in request.parts:
        if part.number > count:
            raise BadInput(
                f"part {part.number} is beyond the {count} parts of this upload", field="parts"
            )
        headers = {
            "x-amz-checksum-crc32": part.crc32,
            "content-length": str(part_length(request.size, request.part_size, part.number)),
        }
        query = {"partNumber": str(part.number), "uploadId": request.upload_id}
        urls.append(
            store.presigner.presign("PUT", store.bucket, key, expiry, query=query, headers=headers)
        )
    return urls


def commit_upload(store: BlobStore, request: CommitUpload) -> BlobInfo:
    digest = request.digest
    _check_size(store, request.size)
    _claim(store, digest)
    if request.upload_id is None:
        # verify_blob removes an object that does not match and raises DigestMismatch
        verified = verify_blob(store.client, store.bucket, digest, request.size)
        if verified is None:
            raise BlobNotFound(f"nothing was uploaded for {digest}: begin the upload again")
        return blob_info(store, digest, verified)
    return _commit_multipart(store, request, request.upload_id)


def _commit_multipart(store: BlobStore, request: CommitUpload, upload_id: str) -> BlobInfo:
    digest, key = request.digest, blob_key(request.digest)
    client, bucket = store.client, store.bucket
    try:
        listed = {p.number: p for p in multipart.list_parts(client, bucket, key, upload_id)}
    except S3Error as exc:
        if exc.code != "NoSuchUpload":
            raise
        return _finished_elsewhere(store, digest, request.size)
    numbers = [p.number for p in request.parts]
    if numbers != list(range(1, len(numbers) + 1)):
        raise BadInput("parts must be numbered 1..N, each once, in order", field="parts")
    chosen = []
    for part in request.parts:
        stored = listed.get(part.number)
        if stored is None:
            raise BadInput(f"part {part.number} was not uploaded", field="parts")
        if stored.etag != part.etag.strip('"'):
            multipart.abort(client, bucket, key, upload_id)
            raise DigestMismatch(
                f"part {part.number} in storage is not the one uploaded (ETag differs); "
                "the upload was aborted: upload again",
                field="parts",
            )
        chosen.append(stored)
    total = sum(p.size for p in chosen)
    if total != request.size:
        multipart.abort(client, bucket, key, upload_id)
        raise BadInput(
            f"the parts hold {total} bytes, not the declared {request.size}; upload aborted",
            field="size",
        )
    for attempt in range(2):
        try:
            multipart.complete(client, bucket, key, upload_id, chosen)
            break
        except S3Error as exc:
            if exc.code == "NoSuchUpload":
                return _finished_elsewhere(store, digest, request.size)
            if exc.code != "PreconditionFailed" or attempt == 1:
                raise
        # An object exists already: keep it if it proves to be this digest (then ours is
        # redundant), else it was removed as corrupt and completing again is safe.
        existing = _stored(store, digest, request.size)
        if existing is not None:
            multipart.abort(client, bucket, key, upload_id)
            return blob_info(store, digest, existing, deduplicated=True)
    actual, count = read_sha256(client, bucket, key)
    if actual != digest_hex(digest) or count != request.size:
        remove_quietly(client, bucket, key)
        raise DigestMismatch(
            f"uploaded bytes hash to sha256:{actual} ({count} bytes), not {digest} "
            f"({request.size} bytes); the object was removed",
            actual=f"sha256:{actual}",
        )
    mark_verified(client, bucket, key, actual)
    return blob_info(store, digest, Verified(count, "read", request.media_type))


def _finished_elsewhere(store: BlobStore, digest: str, size: int) -> BlobInfo:
    """The upload id is gone: a concurrent commit of the same content may have finished it."""
    verified = verify_blob(store.client, store.bucket, digest, size)
    if verified is None:
        raise UploadNotFound(f"the upload for {digest} no longer exists: begin again")
    return blob_info(store, digest, verified)


def abort_upload(store: BlobStore, digest: str, upload_id: str) -> bool:
    """Abort an unfinished multipart upload of ``digest``; False when it was gone already.
    Parts already sent are discarded by S3; a stored blob of that digest is not touched."""
    return multipart.abort(store.client, store.bucket, blob_key(digest), upload_id)
