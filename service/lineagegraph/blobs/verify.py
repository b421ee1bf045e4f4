"""Is the object under a blob key really the bytes its digest names?

Cheapest proof first: the full-object SHA-256 S3 computed on a single PUT (signed into the URL,
checked by S3 on arrival); then our ``lineage-sha256`` tag, set after we read and hashed the object
ourselves (S3 drops tags when an object is overwritten); else a streaming read now. Only that read
can condemn an object (then it is removed). Multipart
objects only carry a COMPOSITE checksum (a hash of part hashes), so their first proof is a read.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import queue
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import SplitResult, urlsplit

import certifi
from minio import Minio
from minio.commonconfig import Tags
from minio.error import S3Error

from lineagegraph.blob_protocol import DigestMismatch, digest_b64, digest_hex
from lineagegraph.blobs.keys import blob_key
from lineagegraph.errors import BadInput

log = logging.getLogger("lineagegraph.blobs")
VERIFIED_TAG = "lineage-sha256"
READ_CHUNK = 4 * 1024**2
READ_BUFFERS = 4
READ_TIMEOUT = 300.0  # seconds per socket operation, as the minio SDK's own
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})

VerifiedBy = Literal["s3-checksum", "read", "tag"]


@dataclass(frozen=True)
class ObjectState:
    size: int
    last_modified: datetime | None
    sha256: str | None  # base64 full-object checksum, when S3 has one
    content_type: str | None


@dataclass(frozen=True)
class Verified:
    size: int
    verified_by: VerifiedBy
    content_type: str | None


def head(client: Minio, bucket: str, key: str) -> ObjectState | None:
    try:
        stat = client.stat_object(bucket, key, extra_headers={"x-amz-checksum-mode": "ENABLED"})
    except S3Error as exc:
        if exc.code in MISSING_CODES:
            return None
        raise
    headers = stat.metadata or {}
    checksum = headers.get("x-amz-checksum-sha256")
    kind = (headers.get("x-amz-checksum-type") or "FULL_OBJECT").upper()
    full = checksum if checksum and kind == "FULL_OBJECT" and "-" not in checksum else None
    return ObjectState(int(stat.size or 0), stat.last_modified, full, stat.content_type)


def read_sha256(client: Minio, bucket: str, key: str) -> tuple[str, int]:
    """Stream the object once; (hex SHA-256, bytes read).

    A presigned GET read straight from the socket into a few reused buffers (one copy, no
    bytes objects) while a helper thread hashes the filled ones in order (recv and hashlib both
    release the GIL), so it takes about the hash's own time. Measured against versitygw on this
    box, 500 MiB object, 6 rounds each at load ~6: 0.49 s median [0.43-0.54] and 0.41 s of this
    process's CPU, against 0.57 s [0.48-0.64] and 0.45 s through the minio SDK's urllib3 stream
    with a hashing thread (the SHA-256 alone is ~0.30 s here). An answer other than 200 is left
    to the minio SDK's GET (same S3Error as before)."""
    url = urlsplit(client.presigned_get_object(bucket, key, expires=timedelta(minutes=30)))
    conn = _connection(url)
    try:
        conn.request("GET", f"{url.path}?{url.query}")
        response = conn.getresponse()
        if response.status != 200:
            response.read(4096)
            return _read_sha256_minio(client, bucket, key)
        return _hash_stream(response)
    finally:
        conn.close()


def _connection(url: SplitResult) -> http.client.HTTPConnection:
    host, port = url.hostname or "", url.port
    if url.scheme == "https":
        context = ssl.create_default_context(
            cafile=os.environ.get("SSL_CERT_FILE") or certifi.where()
        )
        return http.client.HTTPSConnection(host, port, timeout=READ_TIMEOUT, context=context)
    return http.client.HTTPConnection(host, port, timeout=READ_TIMEOUT)


def _hash_stream(response: http.client.HTTPResponse) -> tuple[str, int]:
    hasher, count = hashlib.sha256(), 0
    buffers = [bytearray(READ_CHUNK) for _ in range(READ_BUFFERS)]
    free: queue.Queue[int] = queue.Queue()
    filled: queue.Queue[tuple[int, int] | None] = queue.Queue()
    for index in range(READ_BUFFERS):
        free.put(index)

    def consume() -> None:
        while (item := filled.get()) is not None:
            index, length = item
            hasher.update(memoryview(buffers[index])[:length])
            free.put(index)

    worker = threading.Thread(target=consume, name="lineage-verify", daemon=True)
    worker.start()
    try:
        while True:
            index = free.get()
            view, length = memoryview(buffers[index]), 0
            while length < READ_CHUNK and (got := response.readinto(view[length:])):
                length += got
            if length:
                filled.put((index, length))
                count += length
            if length < READ_CHUNK:
                break
    finally:
        filled.put(None)
        worker.join()
    return hasher.hexdigest(), count


def _read_sha256_minio(client: Minio, bucket: str, key: str) -> tuple[str, int]:
    response = client.get_object(bucket, key)
    hasher, count = hashlib.sha256(), 0
    try:
        for chunk in response.stream(READ_CHUNK):
            hasher.update(chunk)
            count += len(chunk)
    finally:
        response.close()
        response.release_conn()
    return hasher.hexdigest(), count


def _has_tag(client: Minio, bucket: str, key: str, hexdigest: str) -> bool:
    try:
        tags = client.get_object_tags(bucket, key)
    except S3Error as exc:
        if exc.code in MISSING_CODES | {"NoSuchTagSet"}:
            return False
        raise
    return tags is not None and tags.get(VERIFIED_TAG) == hexdigest


def mark_verified(client: Minio, bucket: str, key: str, hexdigest: str) -> None:
    tags = Tags.new_object_tags()
    tags[VERIFIED_TAG] = hexdigest
    try:
        client.set_object_tags(bucket, key, tags)
    except S3Error as exc:  # a store without tagging still works: it re-reads on a later check
        log.warning("could not tag verified blob %s: %s", key, exc.code)


def remove_quietly(client: Minio, bucket: str, key: str) -> None:
    try:
        client.remove_object(bucket, key)
    except S3Error as exc:
        if exc.code not in MISSING_CODES:
            raise


def verify_blob(
    client: Minio, bucket: str, digest: str, expected_size: int | None
) -> Verified | None:
    """Prove the blob for ``digest``; None when absent. Bytes that do not match are removed
    (the key is their content address, so they can only be corrupt) and DigestMismatch raised.
    A matching blob of another size than declared raises BadInput and stays."""
    key, hexdigest = blob_key(digest), digest_hex(digest)
    state = head(client, bucket, key)
    if state is None:
        return None
    how: VerifiedBy
    if state.sha256 is not None and state.sha256 == digest_b64(digest):
        how = "s3-checksum"
    elif _has_tag(client, bucket, key, hexdigest):
        how = "tag"
    else:
        # A differing S3 checksum alone is no proof of bad bytes: versitygw 1.7 stores the
        # SHA-256 of nothing on a copy-in-place with a checksum algorithm. Only our own read
        # decides whether an object is removed.
        actual, count = read_sha256(client, bucket, key)
        if actual != hexdigest:
            remove_quietly(client, bucket, key)
            raise DigestMismatch(
                f"stored object for {digest} hashes to sha256:{actual}; removed it",
                actual=f"sha256:{actual}",
            )
        if count != state.size:
            remove_quietly(client, bucket, key)
            raise DigestMismatch(f"stored object for {digest} changed while being read; removed")
        mark_verified(client, bucket, key, hexdigest)
        how = "read"
    if expected_size is not None and state.size != expected_size:
        raise BadInput(
            f"declared size {expected_size} but the content with digest {digest} has "
            f"{state.size} bytes",
            field="size",
        )
    return Verified(state.size, how, state.content_type)


def is_proven(client: Minio, bucket: str, digest: str) -> bool:
    """Does S3 hold the blob with a proof of its SHA-256 (S3's own full-object checksum, or our
    tag from a verifying read)? Never reads the object: cheap enough for every registration."""
    key = blob_key(digest)
    state = head(client, bucket, key)
    if state is None:
        return False
    if state.sha256 is not None and state.sha256 == digest_b64(digest):
        return True
    return _has_tag(client, bucket, key, digest_hex(digest))
