"""Bytes that change in S3 are never accepted: between upload and commit (single PUT and
multipart), before a dedup answer, and after commit (the download refuses them)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minio import Minio

from lineagegraph.blob_protocol import (
    BeginUpload,
    CommitUpload,
    CompletedPart,
    DigestMismatch,
    PartRequest,
    PresignParts,
)
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.store import BlobStore
from lineagegraph.blobs.verify import head
from lineagegraph.config import Settings
from lineagegraph.sdk._transfer import Transfers
from tests.integration._blob_helpers import (
    MIB,
    abort_all_uploads,
    blob_store,
    keys,
    leftovers,
    pending_uploads,
    random_file,
)

PART = 5 * MIB
EMPTY_SHA256_B64 = base64.b64encode(hashlib.sha256(b"").digest()).decode()


@pytest.fixture
def store(base_settings: Settings, bucket: str, s3: Minio) -> Iterator[BlobStore]:
    yield blob_store(base_settings, bucket, s3, multipart_threshold=PART, multipart_part_size=PART)
    abort_all_uploads(s3, bucket)


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _crc(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _put(request_url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.put(request_url, content=body, headers=headers, timeout=30)


def test_single_put_replaced_in_s3_before_commit_is_rejected_and_removed(
    store: BlobStore, s3: Minio
):
    data = os.urandom(64 * 1024)
    plan = store.begin_upload(BeginUpload(digest=_sha(data), size=len(data)))
    assert plan.state == "single"
    assert plan.single is not None
    assert _put(plan.single.url, plan.single.headers, data).status_code == 200

    forged = os.urandom(len(data))  # same size, other bytes, written around our URLs
    s3.put_object(store.bucket, blob_key(_sha(data)), io.BytesIO(forged), len(forged))
    with pytest.raises(DigestMismatch, match="removed"):
        store.commit_upload(CommitUpload(digest=_sha(data), size=len(data)))
    assert keys(s3, store.bucket, "blobs/") == []
    assert store.stat(_sha(data)) is None


def test_multipart_part_replaced_before_commit_is_rejected(store: BlobStore, s3: Minio):
    parts = [os.urandom(PART), os.urandom(PART), os.urandom(1000)]
    data = b"".join(parts)
    digest = _sha(data)
    plan = store.begin_upload(BeginUpload(digest=digest, size=len(data)))
    assert plan.state == "multipart"
    assert plan.upload_id is not None
    assert plan.part_size == PART
    etags = []
    for number, part in enumerate(parts, 1):
        (url,) = store.presign_parts(
            PresignParts(
                digest=digest,
                size=len(data),
                upload_id=plan.upload_id,
                part_size=PART,
                parts=[PartRequest(number=number, crc32=_crc(part))],
            )
        )
        response = _put(url.url, url.headers, part)
        assert response.status_code == 200
        etags.append(response.headers["etag"].strip('"'))

    # someone with S3 access swaps part 2 for other bytes (its own valid checksum)
    swapped = os.urandom(PART)
    (url,) = store.presign_parts(
        PresignParts(
            digest=digest,
            size=len(data),
            upload_id=plan.upload_id,
            part_size=PART,
            parts=[PartRequest(number=2, crc32=_crc(swapped))],
        )
    )
    assert _put(url.url, url.headers, swapped).status_code == 200

    commit = CommitUpload(
        digest=digest,
        size=len(data),
        upload_id=plan.upload_id,
        parts=[CompletedPart(number=n, etag=e) for n, e in enumerate(etags, 1)],
    )
    with pytest.raises(DigestMismatch, match="part 2"):
        store.commit_upload(commit)
    assert keys(s3, store.bucket, "blobs/") == []
    assert pending_uploads(s3, store.bucket) == []  # aborted: no half-upload left behind


def test_multipart_with_a_wrong_declared_digest_is_rejected_after_reading(
    store: BlobStore, s3: Minio
):
    """Every part passes S3's per-part checksum, but the whole is not what the client declared:
    only the service's read-back can tell, and it removes the object."""
    parts = [os.urandom(PART), os.urandom(2000)]
    data = b"".join(parts)
    claimed = _sha(b"something else entirely")
    plan = store.begin_upload(BeginUpload(digest=claimed, size=len(data)))
    assert plan.upload_id is not None
    completed = []
    for number, part in enumerate(parts, 1):
        (url,) = store.presign_parts(
            PresignParts(
                digest=claimed,
                size=len(data),
                upload_id=plan.upload_id,
                part_size=PART,
                parts=[PartRequest(number=number, crc32=_crc(part))],
            )
        )
        response = _put(url.url, url.headers, part)
        assert response.status_code == 200
        completed.append(CompletedPart(number=number, etag=response.headers["etag"]))
    with pytest.raises(DigestMismatch, match=_sha(data).removeprefix("sha256:")):
        store.commit_upload(
            CommitUpload(digest=claimed, size=len(data), upload_id=plan.upload_id, parts=completed)
        )
    assert keys(s3, store.bucket, "blobs/") == []


def test_corrupt_object_under_a_key_is_not_a_dedup_hit(store: BlobStore, s3: Minio, tmp_path: Path):
    source = tmp_path / "data.bin"
    digest = random_file(source, 2 * PART, seed=21)
    junk = os.urandom(2 * PART)
    s3.put_object(store.bucket, blob_key(digest), io.BytesIO(junk), len(junk))
    with Transfers(store) as transfers:
        result = transfers.upload(source)
    assert not result.deduplicated
    assert result.stats.bytes_sent == 2 * PART
    assert store.stat(digest) is not None


def test_blob_changed_after_commit_fails_download_and_writes_nothing(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    source = tmp_path / "model.bin"
    digest = random_file(source, 1 * MIB, seed=22)
    out = tmp_path / "out"
    out.mkdir()
    with Transfers(store) as transfers:
        transfers.upload(source)
        rotten = os.urandom(1 * MIB)
        s3.put_object(store.bucket, blob_key(digest), io.BytesIO(rotten), len(rotten))
        with pytest.raises(DigestMismatch, match="not written"):
            transfers.download(digest, out / "model.bin")
    assert leftovers(out) == []  # neither the target nor a temporary file


def test_a_wrong_s3_checksum_alone_does_not_condemn_a_blob(
    store: BlobStore, s3: Minio, tmp_path: Path, endpoints: Any
):
    """versitygw 1.7 answers a copy-in-place with a checksum algorithm by storing the SHA-256 of
    zero bytes; the blob is fine, and our own read must be what decides."""
    source = tmp_path / "w.bin"
    digest = random_file(source, 2 * PART, seed=23)
    with Transfers(store) as transfers:
        transfers.upload(source)
    key = blob_key(digest)
    s3._execute(
        "PUT",
        store.bucket,
        key,
        headers={
            "x-amz-copy-source": f"/{store.bucket}/{key}",
            "x-amz-metadata-directive": "REPLACE",
            "x-amz-checksum-algorithm": "SHA256",
        },
    )
    reported = head(s3, store.bucket, key)
    assert reported is not None
    if endpoints.source == "deploy/local":  # the pinned versitygw: the bogus checksum is there
        assert reported.sha256 == EMPTY_SHA256_B64
    info = store.stat(digest)
    assert info is not None
    assert info.verified_by in {"tag", "read"}
    with Transfers(store) as transfers:
        again = transfers.upload(source)
        back = transfers.download(digest, tmp_path / "back.bin")
    assert again.deduplicated
    assert back.digest == digest


def test_verification_read_hashes_the_object_and_reports_a_missing_one_as_s3(
    s3: Minio, bucket: str
) -> None:
    """read_sha256 (the service's own proof) over an object spanning several of its buffers and
    ending mid-buffer, an empty one, and one that is gone (the minio SDK's S3Error, as before)."""
    from minio.error import S3Error

    from lineagegraph.blobs.verify import READ_BUFFERS, READ_CHUNK, read_sha256

    data = os.urandom(READ_CHUNK * (READ_BUFFERS + 1) + 12345)
    s3.put_object(bucket, "probe/big", io.BytesIO(data), len(data))
    s3.put_object(bucket, "probe/empty", io.BytesIO(b""), 0)
    assert read_sha256(s3, bucket, "probe/big") == (hashlib.sha256(data).hexdigest(), len(data))
    assert read_sha256(s3, bucket, "probe/empty") == (hashlib.sha256(b"").hexdigest(), 0)
    with pytest.raises(S3Error) as missing:
        read_sha256(s3, bucket, "probe/gone")
    assert missing.value.code in {"NoSuchKey", "NoSuchObject", "NotFound"}
