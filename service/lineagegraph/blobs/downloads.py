"""Download tickets, and reference artifacts (registered where they live, never copied).

A ticket is a URL plus what the bytes must hash to; the SDK verifies while writing. For stored
blobs and ``s3://`` references in a bucket this service can read, the URL is presigned. For
``https://`` and ``file://`` references the URL is handed out as it is: the service never fetches
user-given URLs itself (no server-side request forgery).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from minio.error import S3Error

from lineagegraph.blob_protocol import (
    BlobNotFound,
    DigestMismatch,
    DownloadTicket,
    ReferenceInfo,
    digest_b64,
    normalize_digest,
)
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.verify import head
from lineagegraph.errors import BadInput

if TYPE_CHECKING:
    from lineagegraph.blobs.store import BlobStore

REFERENCE_SCHEMES = ("s3", "file", "https", "http")
# S3 answers for a bucket we cannot see: the reference is recorded as given, unverified.
_UNREACHABLE = frozenset({"NoSuchBucket", "AccessDenied", "AllAccessDisabled", "InvalidBucketName"})


def presign_download(store: BlobStore, digest: str) -> DownloadTicket:
    digest = normalize_digest(digest)
    state = head(store.client, store.bucket, blob_key(digest))
    if state is None:
        raise BlobNotFound(f"no stored blob {digest}")
    request = store.presigner.presign(
        "GET",
        store.bucket,
        blob_key(digest),
        timedelta(seconds=store.settings.presign_expiry_seconds),
    )
    return DownloadTicket(
        url=request.url, digest=digest, size=state.size, expires_at=request.expires_at
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    key = unquote(parts.path.lstrip("/"))
    if parts.scheme != "s3" or not parts.netloc or not key:
        raise BadInput(f"expected s3://bucket/key, not {uri[:200]!r}", field="uri")
    return parts.netloc, key


def parse_reference(uri: str) -> tuple[str, str]:
    """(scheme, storage) of a reference URI, or BadInput."""
    parts = urlsplit(uri.strip())
    scheme = parts.scheme.lower()
    if scheme not in REFERENCE_SCHEMES:
        raise BadInput(
            f"a reference must be s3://, file://, https:// or http://, not {uri[:200]!r}",
            field="uri",
        )
    if scheme == "file":
        if parts.netloc not in {"", "localhost"} or not parts.path.startswith("/"):
            raise BadInput("a file:// reference needs an absolute path: file:///...", field="uri")
        return scheme, "file://"
    if not parts.netloc or (scheme == "s3" and not parts.path.strip("/")):
        raise BadInput(f"reference {uri[:200]!r} has no host/bucket or key", field="uri")
    return scheme, f"{scheme}://{parts.netloc}"


def check_reference(
    store: BlobStore, uri: str, digest: str | None = None, size: int | None = None
) -> ReferenceInfo:
    """Record-ready facts about a reference. For s3:// objects this service can see, the size
    (and the digest, where S3 holds a full SHA-256) are checked against what the store says."""
    scheme, storage = parse_reference(uri)
    digest = normalize_digest(digest) if digest is not None else None
    if size is not None and size < 0:
        raise BadInput("size must be >= 0", field="size")
    if scheme != "s3":
        return ReferenceInfo(uri=uri, storage=storage, digest=digest, size=size)
    bucket, key = split_s3_uri(uri)
    try:
        state = head(store.client, bucket, key)
    except S3Error as exc:
        if exc.code in _UNREACHABLE:
            return ReferenceInfo(uri=uri, storage=storage, digest=digest, size=size)
        raise
    if state is None:
        # HEAD has no body: a missing bucket looks like a missing key; tell them apart
        try:
            bucket_seen = store.client.bucket_exists(bucket)
        except S3Error as exc:
            if exc.code not in _UNREACHABLE:
                raise
            bucket_seen = False
        if not bucket_seen:
            return ReferenceInfo(uri=uri, storage=storage, digest=digest, size=size)
        raise BlobNotFound(f"no object at {uri}")
    if size is not None and size != state.size:
        raise BadInput(f"declared size {size} but {uri} has {state.size} bytes", field="size")
    if digest is not None and state.sha256 is not None and state.sha256 != digest_b64(digest):
        raise DigestMismatch(f"{uri} has another SHA-256 than the declared {digest}")
    verified_digest = digest is not None and state.sha256 is not None
    return ReferenceInfo(
        uri=uri,
        storage=storage,
        digest=digest,
        size=state.size,
        verified=verified_digest or digest is None,
    )


def reference_ticket(
    store: BlobStore, uri: str, digest: str | None, size: int | None
) -> DownloadTicket:
    scheme, _ = parse_reference(uri)
    if scheme != "s3":
        return DownloadTicket(url=uri, digest=digest, size=size)
    bucket, key = split_s3_uri(uri)
    request = store.presigner.presign(
        "GET", bucket, key, timedelta(seconds=store.settings.presign_expiry_seconds)
    )
    return DownloadTicket(url=request.url, digest=digest, size=size, expires_at=request.expires_at)
