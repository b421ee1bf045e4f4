"""Reference artifacts: registered where they live, checked where the service can, never copied;
downloadable through the same verified path."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from minio import Minio

from lineagegraph.blob_protocol import BlobNotFound, DigestMismatch
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings
from lineagegraph.errors import BadInput
from lineagegraph.sdk._transfer import Transfers
from tests.integration._blob_helpers import blob_store, file_sha256, keys, random_file


@pytest.fixture
def store(base_settings: Settings, bucket: str, s3: Minio) -> BlobStore:
    return blob_store(base_settings, bucket, s3)


def test_s3_reference_is_checked_against_the_store(store: BlobStore, s3: Minio, tmp_path: Path):
    source = tmp_path / "table.parquet"
    digest = random_file(source, 50_000, seed=41)
    with Transfers(store) as transfers:
        transfers.upload(source)  # an object with a full SHA-256 checksum in S3
    uri = f"s3://{store.bucket}/{blob_key(digest)}"
    before = keys(s3, store.bucket)

    info = store.check_reference(uri, digest=digest, size=50_000)
    assert info.is_reference
    assert info.verified
    assert info.storage == f"s3://{store.bucket}"
    assert info.size == 50_000
    with pytest.raises(DigestMismatch):
        store.check_reference(uri, digest="sha256:" + "9" * 64)
    with pytest.raises(BadInput, match="declared size 7"):
        store.check_reference(uri, size=7)
    assert keys(s3, store.bucket) == before  # nothing copied, nothing written


def test_s3_reference_without_checksum_records_the_size(store: BlobStore, s3: Minio):
    s3.put_object(store.bucket, "raw/plain.csv", io.BytesIO(b"a,b\n1,2\n"), 8)
    info = store.check_reference(f"s3://{store.bucket}/raw/plain.csv")
    assert info.size == 8
    assert info.digest is None
    declared = store.check_reference(
        f"s3://{store.bucket}/raw/plain.csv", digest="sha256:" + "a" * 64
    )
    assert not declared.verified  # S3 holds no SHA-256 to check it against
    with pytest.raises(BlobNotFound):
        store.check_reference(f"s3://{store.bucket}/raw/missing.csv")
    elsewhere = store.check_reference("s3://a-bucket-this-server-lacks/x.bin", size=3)
    assert not elsewhere.verified
    assert elsewhere.size == 3


@pytest.mark.parametrize(
    "uri",
    ["ftp://host/x", "s3://bucket-only", "file://relative/path", "file:x", "https:///nohost", ""],
)
def test_malformed_references(store: BlobStore, uri: str):
    with pytest.raises(BadInput) as info:
        store.check_reference(uri)
    assert info.value.field == "uri"


def test_references_download_through_the_verified_path(store: BlobStore, s3: Minio, tmp_path: Path):
    local = tmp_path / "local.bin"
    digest = random_file(local, 300_000, seed=42)
    s3.fput_object(store.bucket, "ext/local.bin", str(local))
    with Transfers(store) as transfers:
        by_s3 = transfers.download(
            store.reference_ticket(f"s3://{store.bucket}/ext/local.bin", digest, 300_000),
            tmp_path / "a.bin",
        )
        by_file = transfers.download(
            store.reference_ticket(local.as_uri(), digest, 300_000), tmp_path / "b.bin"
        )
        assert store.stat(digest) is None  # a reference is not copied into the blob store
        with pytest.raises(DigestMismatch):
            transfers.download(
                store.reference_ticket(local.as_uri(), "sha256:" + "b" * 64, None),
                tmp_path / "c.bin",
            )
    assert by_s3.digest == by_file.digest == digest
    assert file_sha256(tmp_path / "a.bin") == file_sha256(tmp_path / "b.bin") == digest
    assert not (tmp_path / "c.bin").exists()
