"""Claims and tombstones: how uploads and garbage collection agree that a blob stays.

An upload (or a dedup hit) first writes a *claim* (a tiny object under ``claims/``, unique key),
then makes sure no *tombstone* exists, then looks at the blob. A collection first writes a
tombstone, then re-checks claims and references, and only then deletes the blob (and afterwards
its tombstone). Every interleaving of the two sequences ends in one of: the collector sees the
claim and keeps the blob, or the uploader sees the tombstone (BlobBusy, retry) or the missing blob
(uploads it again). A claim protects its blob for the collection's ``older_than`` window, which
is therefore the time a client has between begin_upload and registering the artifact.
Keys are unique per claim and per collection run, so deleting an old one never hits a new one.
"""

from __future__ import annotations

import io
from datetime import datetime

from minio import Minio
from minio.error import S3Error

from lineagegraph.blob_protocol import BlobBusy
from lineagegraph.blobs.keys import claim_prefix, new_claim_key, tombstone_key, tombstone_prefix
from lineagegraph.blobs.verify import MISSING_CODES


def _put_marker(client: Minio, bucket: str, key: str) -> None:
    client.put_object(bucket, key, io.BytesIO(b""), 0, content_type="application/octet-stream")


def write_claim(client: Minio, bucket: str, digest: str) -> str:
    key = new_claim_key(digest)
    _put_marker(client, bucket, key)
    return key


def claims_of(client: Minio, bucket: str, digest: str) -> list[tuple[str, datetime | None]]:
    return [
        (obj.object_name or "", obj.last_modified)
        for obj in client.list_objects(bucket, prefix=claim_prefix(digest), recursive=True)
    ]


def has_claim_since(client: Minio, bucket: str, digest: str, cutoff: datetime) -> bool:
    return any(when is None or when >= cutoff for _, when in claims_of(client, bucket, digest))


def ensure_not_tombstoned(client: Minio, bucket: str, digest: str) -> None:
    for _ in client.list_objects(bucket, prefix=tombstone_prefix(digest), recursive=True):
        raise BlobBusy(
            f"garbage collection is deciding about {digest} right now; retry in a moment",
            digest=digest,
        )


def put_tombstone(client: Minio, bucket: str, digest: str, run_id: str) -> str:
    key = tombstone_key(digest, run_id)
    _put_marker(client, bucket, key)
    return key


def remove_key(client: Minio, bucket: str, key: str) -> None:
    try:
        client.remove_object(bucket, key)
    except S3Error as exc:
        if exc.code not in MISSING_CODES:
            raise
