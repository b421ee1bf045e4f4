"""Multipart uploads that break: a part cut off mid-body or corrupted on the way is sent again,
and a failed upload resumes later without resending the parts S3 holds; the object is intact."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from minio import Minio

from lineagegraph.blob_protocol import TransferFailed
from lineagegraph.blobs import multipart
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings
from lineagegraph.sdk._s3http import RetryPolicy
from lineagegraph.sdk._transfer import Transfers
from tests.integration._blob_helpers import (
    MIB,
    abort_all_uploads,
    blob_store,
    file_sha256,
    pending_uploads,
    random_file,
)

PART = 8 * MIB
FAST_RETRY = RetryPolicy(attempts=3, backoff_seconds=0.01)


@pytest.fixture
def store(base_settings: Settings, bucket: str, s3: Minio) -> Iterator[BlobStore]:
    yield blob_store(base_settings, bucket, s3, multipart_threshold=PART, multipart_part_size=PART)
    abort_all_uploads(s3, bucket)


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


def _cut_after(stream: Iterable[bytes], limit: int) -> Iterator[bytes]:
    sent = 0
    for chunk in stream:
        if sent + len(chunk) >= limit:
            yield chunk[: limit - sent]
            raise httpx.WriteError("connection dropped (simulated)")
        sent += len(chunk)
        yield chunk


def _flip_first_byte(stream: Iterable[bytes]) -> Iterator[bytes]:
    first = True
    for chunk in stream:
        if first and chunk:
            chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            first = False
        yield chunk


class FaultyNetwork(httpx.BaseTransport):
    """The real HTTP transport, with part uploads broken as ``fault(part, attempt)`` says:
    "cut" drops the connection a third into the body, "corrupt" flips a byte on the way."""

    def __init__(self, fault: Callable[[int, int], str | None]) -> None:
        self.inner = httpx.HTTPTransport()
        self.fault = fault
        self.attempts: Counter[int] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        number = request.url.params.get("partNumber")
        if request.method == "PUT" and number is not None:
            part = int(number)
            self.attempts[part] += 1
            action = self.fault(part, self.attempts[part])
            body = request.stream
            assert isinstance(body, Iterable)
            if action == "cut":
                request.stream = _Stream(_cut_after(body, PART // 3))
            elif action == "corrupt":
                request.stream = _Stream(_flip_first_byte(body))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _client(network: FaultyNetwork) -> httpx.Client:
    return httpx.Client(transport=network, timeout=60)


def test_a_part_cut_off_mid_body_is_sent_again(store: BlobStore, s3: Minio, tmp_path: Path):
    source = tmp_path / "weights.bin"
    size = 4 * PART + 1000
    digest = random_file(source, size, seed=11)
    network = FaultyNetwork(lambda part, attempt: "cut" if part == 2 and attempt == 1 else None)
    with _client(network) as http, Transfers(store, http=http, retry=FAST_RETRY) as transfers:
        result = transfers.upload(source)
        assert network.attempts[2] == 2
        assert result.stats.retries == 1
        assert result.stats.parts_sent == 5
        # the cut attempt counts what was handed to the connection before the drop (whole
        # read chunks): at least the third of a part that left, at most the part
        assert size + PART // 3 <= result.stats.bytes_sent <= size + PART
        back = transfers.download(digest, tmp_path / "back.bin")
    assert result.blob.digest == digest
    assert back.digest == digest
    assert file_sha256(tmp_path / "back.bin") == digest
    assert pending_uploads(s3, store.bucket) == []


def test_a_part_corrupted_on_the_way_is_refused_by_s3_and_resent(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    source = tmp_path / "weights.bin"
    digest = random_file(source, 3 * PART, seed=12)
    network = FaultyNetwork(lambda part, attempt: "corrupt" if attempt == 1 else None)
    with _client(network) as http, Transfers(store, http=http, retry=FAST_RETRY) as transfers:
        result = transfers.upload(source)
    assert dict(network.attempts) == {1: 2, 2: 2, 3: 2}  # every first try refused (BadDigest)
    assert result.stats.retries == 3
    assert result.blob.digest == digest
    response = s3.get_object(store.bucket, blob_key(digest))
    try:
        assert "sha256:" + hashlib.sha256(response.read()).hexdigest() == digest
    finally:
        response.close()
        response.release_conn()


def test_failed_upload_resumes_without_resending_stored_parts(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    source = tmp_path / "weights.bin"
    size = 5 * PART + 4321
    digest = random_file(source, size, seed=13)
    key = blob_key(digest)

    broken = FaultyNetwork(lambda part, attempt: "cut" if part == 3 else None)
    with (
        _client(broken) as http,
        Transfers(store, http=http, retry=FAST_RETRY, concurrency=1) as transfers,
        pytest.raises(TransferFailed, match="part 3 failed 3 times"),
    ):
        transfers.upload(source)
    (pending,) = pending_uploads(s3, store.bucket)
    stored = multipart.list_parts(s3, store.bucket, key, pending.upload_id)
    assert [p.number for p in stored] == [1, 2]  # 3 never arrived whole; 4.. never started
    assert store.stat(digest) is None  # nothing under the blob key yet

    network = FaultyNetwork(lambda part, attempt: None)
    with _client(network) as http, Transfers(store, http=http) as transfers:
        result = transfers.upload(source)
        back = transfers.download(digest, tmp_path / "back.bin")
    assert set(network.attempts) == {3, 4, 5, 6}  # parts 1 and 2 were not sent again
    assert result.stats.parts_reused == 2
    assert result.stats.bytes_sent == size - 2 * PART
    assert result.blob.digest == digest
    assert result.blob.verified_by == "read"
    assert back.digest == digest
    assert file_sha256(tmp_path / "back.bin") == digest
    assert pending_uploads(s3, store.bucket) == []
