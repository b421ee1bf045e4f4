"""Shared by the test_blobs_* files: settings for one bucket, a BlobStore, random files."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

from minio import Minio

from lineagegraph.blobs import multipart
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings

MIB = 1024**2


def blob_store(base: Settings, bucket: str, client: Minio, **overrides: Any) -> BlobStore:
    settings = base.model_copy(update={"s3_bucket": bucket, **overrides})
    return BlobStore.open(settings, client)


def random_file(path: Path, size: int, seed: int = 0) -> str:
    """Write ``size`` pseudo-random bytes (8 MiB at a time); returns their sha256:<hex>."""
    rng = random.Random(seed)
    hasher = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            block = rng.randbytes(min(8 * MIB, left))
            out.write(block)
            hasher.update(block)
            left -= len(block)
    return f"sha256:{hasher.hexdigest()}"


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def keys(client: Minio, bucket: str, prefix: str = "") -> list[str]:
    return sorted(
        obj.object_name or "" for obj in client.list_objects(bucket, prefix=prefix, recursive=True)
    )


def pending_uploads(client: Minio, bucket: str) -> list[multipart.PendingUpload]:
    return list(multipart.list_uploads(client, bucket, ""))


def abort_all_uploads(client: Minio, bucket: str) -> None:
    """Unfinished uploads keep a bucket from being removed by the shared fixture."""
    for upload in pending_uploads(client, bucket):
        multipart.abort(client, bucket, upload.key, upload.upload_id)


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory))
