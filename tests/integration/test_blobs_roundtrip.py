"""Upload and download through the SDK path against the real S3: digests, dedup, zero bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings
from lineagegraph.sdk._transfer import Transfers
from tests.integration._blob_helpers import (
    MIB,
    abort_all_uploads,
    blob_store,
    file_sha256,
    keys,
    leftovers,
    pending_uploads,
    random_file,
)


@pytest.fixture
def store(base_settings: Settings, bucket: str, s3: Minio) -> Iterator[BlobStore]:
    yield blob_store(
        base_settings, bucket, s3, multipart_threshold=32 * MIB, multipart_part_size=32 * MIB
    )
    abort_all_uploads(s3, bucket)


def test_multipart_round_trip_is_bit_for_bit(store: BlobStore, s3: Minio, tmp_path: Path):
    """Three parts in-process; the 200 MB round trip goes through the service
    (test_blobs_service.py), so the suite writes 200 MB once."""
    source = tmp_path / "model.bin"
    size = 2 * 32 * MIB + 12345  # not a multiple of the part size: the last part is short
    digest = random_file(source, size, seed=1)

    with Transfers(store) as transfers:
        result = transfers.upload(source, media_type="application/x-model")
        assert result.blob.digest == digest
        assert result.blob.size == size
        assert result.blob.uri == f"s3://{store.bucket}/{blob_key(digest)}"
        assert result.blob.verified_by == "read"  # multipart: the service hashed it itself
        assert not result.deduplicated
        assert result.stats.bytes_sent == size
        assert result.stats.parts_sent == 3

        target = tmp_path / "out" / "model.bin"
        fetched = transfers.download(digest, target)
    assert fetched.digest == digest
    assert fetched.size == size
    assert fetched.stats.bytes_received == size
    assert file_sha256(target) == digest
    assert leftovers(target.parent) == ["model.bin"]  # no temporary file left behind
    assert s3.stat_object(store.bucket, blob_key(digest)).size == size
    assert pending_uploads(s3, store.bucket) == []


def test_second_upload_of_same_content_sends_no_bytes(store: BlobStore, tmp_path: Path):
    big, small = tmp_path / "big.bin", tmp_path / "small.bin"
    random_file(big, 40 * MIB, seed=2)  # multipart
    random_file(small, 3 * MIB, seed=3)  # single PUT
    copy = tmp_path / "copy-of-big.bin"
    copy.write_bytes(big.read_bytes())

    with Transfers(store) as transfers:
        first_big, first_small = transfers.upload(big), transfers.upload(small)
        assert first_big.stats.bytes_sent == 40 * MIB
        assert first_small.stats.bytes_sent == 3 * MIB
        sent_before = transfers.stats.bytes_sent

        again_big, again_small, again_copy = (
            transfers.upload(big),
            transfers.upload(small),
            transfers.upload(copy),  # another path, same bytes
        )
        assert transfers.stats.bytes_sent == sent_before
    for again, first in ((again_big, first_big), (again_small, first_small)):
        assert again.deduplicated
        assert again.stats.bytes_sent == 0
        assert again.stats.requests == 0
        assert again.blob.digest == first.blob.digest
        assert again.blob.uri == first.blob.uri
    assert again_copy.deduplicated
    assert again_copy.blob.digest == first_big.blob.digest
    assert again_copy.stats.bytes_sent == 0


def test_small_file_is_verified_by_the_s3_checksum(store: BlobStore, s3: Minio, tmp_path: Path):
    source = tmp_path / "report.json"
    source.write_bytes(b'{"auc": 0.91}\n' * 1000)
    with Transfers(store) as transfers:
        result = transfers.upload(source, media_type="application/json")
    assert result.blob.verified_by == "s3-checksum"  # no read-back needed
    assert result.blob.media_type == "application/json"
    stat = s3.stat_object(store.bucket, blob_key(result.blob.digest))
    assert stat.content_type == "application/json"
    assert store.stat(result.blob.digest) == result.blob.model_copy(
        update={"media_type": "application/json"}
    )


def test_zero_byte_file_is_a_legitimate_artifact(store: BlobStore, s3: Minio, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with Transfers(store) as transfers:
        result = transfers.upload(empty)
        assert result.blob.size == 0
        assert result.blob.digest == (
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        again = transfers.upload(empty)
        assert again.deduplicated
        fetched = transfers.download(result.blob.digest, tmp_path / "back" / "empty.txt")
    assert (tmp_path / "back" / "empty.txt").read_bytes() == b""
    assert fetched.size == 0
    assert keys(s3, store.bucket, "blobs/") == [blob_key(result.blob.digest)]
