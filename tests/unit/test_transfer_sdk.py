"""The SDK's transfers against a fake S3 (httpx.MockTransport) and a fake service: hashing,
retries, progress accounting, atomic downloads, and what never reaches the wire."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpcore
import httpx
import pytest

from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobInfo,
    BlobTooLarge,
    CommitUpload,
    DigestMismatch,
    DownloadTicket,
    PresignedRequest,
    PresignedUrlExpired,
    PresignParts,
    TransferFailed,
    UploadLimits,
    UploadPlan,
    normalize_digest,
)
from lineagegraph.errors import BadInput
from lineagegraph.sdk import _s3http, _upload
from lineagegraph.sdk._digest_cache import DigestCache
from lineagegraph.sdk._hashing import CHUNK, HASH_CHUNK, crc32_range, input_file_size, sha256_file
from lineagegraph.sdk._progress import progress_bars
from lineagegraph.sdk._s3http import RetryPolicy, default_http_client
from lineagegraph.sdk._transfer import Transfers

MIB = 1024**2
PART = 5 * MIB
FAST = RetryPolicy(attempts=3, backoff_seconds=0.0)
LATER = datetime.now(UTC) + timedelta(hours=1)


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _streamed(data: bytes) -> Iterator[bytes]:
    """A body as a real transport delivers it (bytes given to httpx.Response count as read)."""
    yield data


class FakeS3:
    """Enough of S3 for the SDK: PUT checks the signed checksum header, GET honours Range;
    ``faults`` maps (method, path) to the statuses to answer first."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.faults: dict[tuple[str, str], list[int]] = {}
        self.calls: Counter[tuple[str, str]] = Counter()
        self.ignore_range = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        where = (request.method, request.url.path + "?" + str(request.url.params.get("partNumber")))
        self.calls[where] += 1
        pending = self.faults.get(where)
        if pending:
            status = pending.pop(0)
            body = b"<Error><Code>Expired</Code><Message>Request has expired</Message></Error>"
            return httpx.Response(status, content=body if status == 403 else b"<Error/>")
        if request.method == "PUT":
            body = request.read()
            sha = request.headers.get("x-amz-checksum-sha256")
            crc = request.headers.get("x-amz-checksum-crc32")
            if (sha and base64.b64encode(hashlib.sha256(body).digest()).decode() != sha) or (
                crc and base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode() != crc
            ):
                return httpx.Response(400, content=b"<Error><Code>BadDigest</Code></Error>")
            self.objects[where[1]] = body
            return httpx.Response(200, headers={"etag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324
        data = self.objects[request.url.path + "?None"]
        start = 0
        if "range" in request.headers and not self.ignore_range:
            start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
            return httpx.Response(206, content=_streamed(data[start:]))
        return httpx.Response(200, content=_streamed(data))


class FakeService:
    """Plans like the real BlobStore, pointing at FakeS3; the commit reassembles the parts."""

    def __init__(self, s3: FakeS3, max_size: int = 100 * MIB) -> None:
        self.s3, self.max_size = s3, max_size
        self.begun: list[BeginUpload] = []

    def upload_limits(self) -> UploadLimits:
        return UploadLimits(
            max_artifact_size=self.max_size,
            multipart_threshold=PART,
            multipart_part_size=PART,
            presign_expiry_seconds=3600,
        )

    def _url(self, digest: str, part: int | None = None) -> str:
        suffix = f"?partNumber={part}&uploadId=u1" if part else ""
        return f"http://s3.test/bucket/{digest.removeprefix('sha256:')}{suffix}"

    def begin_upload(self, request: BeginUpload) -> UploadPlan:
        self.begun.append(request)
        uri = self._url(request.digest)
        if "/bucket/" + request.digest.removeprefix("sha256:") + "?None" in self.s3.objects:
            blob = BlobInfo(
                digest=request.digest,
                size=request.size,
                uri=uri,
                storage="s3://b",
                verified_by="s3-checksum",
                deduplicated=True,
            )
            return UploadPlan(
                digest=request.digest, size=request.size, uri=uri, state="stored", blob=blob
            )
        if request.size < PART:
            headers = {
                "x-amz-checksum-sha256": base64.b64encode(
                    bytes.fromhex(request.digest.removeprefix("sha256:"))
                ).decode()
            }
            single = PresignedRequest(method="PUT", url=uri, headers=headers, expires_at=LATER)
            return UploadPlan(
                digest=request.digest, size=request.size, uri=uri, state="single", single=single
            )
        count = -(-request.size // PART)
        return UploadPlan(
            digest=request.digest,
            size=request.size,
            uri=uri,
            state="multipart",
            upload_id="u1",
            part_size=PART,
            part_count=count,
        )

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]:
        return [
            PresignedRequest(
                method="PUT",
                url=self._url(request.digest, p.number),
                headers={"x-amz-checksum-crc32": p.crc32},
                expires_at=LATER,
            )
            for p in request.parts
        ]

    def commit_upload(self, request: CommitUpload) -> BlobInfo:
        path = "/bucket/" + request.digest.removeprefix("sha256:")
        if request.upload_id:
            whole = b"".join(self.s3.objects[f"{path}?{p.number}"] for p in request.parts)
            self.s3.objects[path + "?None"] = whole
        data = self.s3.objects[path + "?None"]
        if _sha(data) != request.digest:
            raise DigestMismatch("fake: mismatch")
        return BlobInfo(
            digest=request.digest,
            size=len(data),
            uri=self._url(request.digest),
            storage="s3://b",
            verified_by="read",
        )

    def download_ticket(self, digest: str) -> DownloadTicket:
        data = self.s3.objects["/bucket/" + digest.removeprefix("sha256:") + "?None"]
        return DownloadTicket(url=self._url(digest), digest=digest, size=len(data))


@pytest.fixture
def s3() -> FakeS3:
    return FakeS3()


@pytest.fixture
def transfers(s3: FakeS3):  # type: ignore[no-untyped-def]
    http = httpx.Client(transport=httpx.MockTransport(s3.handle))
    with Transfers(FakeService(s3), http=http, retry=FAST, concurrency=2) as t:
        yield t
    http.close()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5])
def test_hashing_in_one_pass(tmp_path: Path, size: int):
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    seen: list[int] = []
    assert sha256_file(path, seen.append) == (_sha(data), size)
    assert sum(seen) == size
    assert all(n <= HASH_CHUNK for n in seen)
    crc, count = crc32_range(path, size // 3, size // 2)
    assert crc == zlib.crc32(data[size // 3 : size // 3 + size // 2])
    assert count == size // 2


def test_input_file_checks(tmp_path: Path):
    with pytest.raises(BadInput, match="no such file"):
        input_file_size(tmp_path / "missing")
    with pytest.raises(BadInput, match="is a directory"):
        input_file_size(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(BadInput, match="not a regular file"):
        input_file_size(tmp_path / "pipe")


def test_digest_forms():
    hexdigest = "AB" * 32
    assert normalize_digest(hexdigest) == "sha256:" + "ab" * 32
    assert normalize_digest("SHA256:" + hexdigest) == "sha256:" + "ab" * 32
    for bad in ("sha1:" + "ab" * 20, "sha256:xyz", "", "sha256:" + "ab" * 31):
        with pytest.raises(BadInput):
            normalize_digest(bad)


def test_multipart_upload_retries_a_failing_part_and_reports_net_progress(
    transfers: Transfers, s3: FakeS3, tmp_path: Path
):
    data = os.urandom(2 * PART + 17)
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    digest = _sha(data)
    s3.faults[("PUT", f"/bucket/{digest.removeprefix('sha256:')}?2")] = [500, 503]
    phases: dict[str, list[int]] = {}
    result = transfers.upload(path, phases=lambda name, total: phases.setdefault(name, []).append)
    assert result.blob.digest == digest
    assert result.stats.retries == 2
    assert result.stats.parts_sent == 3
    assert sum(phases["hash"]) == len(data)
    assert sum(phases["upload"]) == len(data)  # failed attempts are taken back


def test_non_retryable_s3_answer_stops_at_once(transfers: Transfers, s3: FakeS3, tmp_path: Path):
    path = tmp_path / "s.bin"
    path.write_bytes(b"x" * 100)
    s3.faults[("PUT", f"/bucket/{_sha(b'x' * 100).removeprefix('sha256:')}?None")] = [400]
    with pytest.raises(TransferFailed, match="400"):
        transfers.upload(path)
    assert sum(s3.calls.values()) == 1


def test_expired_single_put_gets_a_new_plan(transfers: Transfers, s3: FakeS3, tmp_path: Path):
    path = tmp_path / "s.bin"
    path.write_bytes(b"y" * 100)
    s3.faults[("PUT", f"/bucket/{_sha(b'y' * 100).removeprefix('sha256:')}?None")] = [403]
    result = transfers.upload(path)
    assert result.stats.retries == 1
    assert len(transfers.service.begun) == 2  # type: ignore[attr-defined]


def test_oversize_and_wrong_digest_never_reach_the_service(s3: FakeS3, tmp_path: Path):
    service = FakeService(s3, max_size=10)
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * 11)
    with Transfers(service, http=httpx.Client(transport=httpx.MockTransport(s3.handle))) as t:
        with pytest.raises(BlobTooLarge):
            t.upload(path)
        path.write_bytes(b"z" * 10)
        with pytest.raises(DigestMismatch):
            t.upload(path, expected_digest=_sha(b"other"))
    assert service.begun == []
    assert s3.calls == Counter()


def test_download_resumes_with_range_after_a_dropped_connection(tmp_path: Path):
    data = os.urandom(3 * MIB + 5)
    ticket = DownloadTicket(url="http://s3.test/o", digest=_sha(data), size=len(data))
    ranges: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ranges.append(request.headers.get("range"))
        if len(ranges) == 1:

            def broken():  # type: ignore[no-untyped-def]
                yield data[:MIB]
                raise httpx.ReadError("connection reset (simulated)")

            return httpx.Response(200, content=broken())
        start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        return httpx.Response(206, content=_streamed(data[start:]))

    with Transfers(
        FakeService(FakeS3()), http=httpx.Client(transport=httpx.MockTransport(handler)), retry=FAST
    ) as t:
        result = t.download(ticket, tmp_path / "out.bin")
    assert ranges == [None, f"bytes={MIB}-"]
    assert (tmp_path / "out.bin").read_bytes() == data
    assert result.stats.bytes_received == len(data)


def test_download_mismatch_leaves_no_file(tmp_path: Path):
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=_streamed(b"bad")))
    )
    (tmp_path / "keep.txt").write_text("old")
    with Transfers(FakeService(FakeS3()), http=http) as t:
        with pytest.raises(DigestMismatch):
            t.download(
                DownloadTicket(url="http://s3.test/o", digest=_sha(b"good")), tmp_path / "keep.txt"
            )
        with pytest.raises(DigestMismatch, match="expected 4"):
            t.download(DownloadTicket(url="http://s3.test/o", size=4), tmp_path / "new.txt")
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "old"  # the old file is untouched


def test_download_restarts_when_range_is_ignored(s3: FakeS3, tmp_path: Path):
    data = os.urandom(2 * MIB)
    s3.objects["/bucket/x?None"] = data
    s3.ignore_range = True
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:

            def broken():  # type: ignore[no-untyped-def]
                yield data[:1000]
                raise httpx.ReadError("reset")

            return httpx.Response(200, content=broken())
        return s3.handle(request)

    with Transfers(
        FakeService(s3), http=httpx.Client(transport=httpx.MockTransport(handler)), retry=FAST
    ) as t:
        t.download(DownloadTicket(url="http://s3.test/bucket/x", digest=_sha(data)), tmp_path / "o")
    assert (tmp_path / "o").read_bytes() == data


def test_expired_download_without_refresh(tmp_path: Path):
    body = b"<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>"
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(403, content=body)))
    with Transfers(FakeService(FakeS3()), http=http) as t, pytest.raises(PresignedUrlExpired):
        t.download(DownloadTicket(url="http://s3.test/o?X-Amz-Signature=secret"), tmp_path / "o")
    assert os.listdir(tmp_path) == []


def test_progress_bars_only_on_a_terminal():
    quiet = io.StringIO()
    with progress_bars(quiet, min_bytes=0) as start:
        start("upload", 100)(100)
    assert quiet.getvalue() == ""
    forced = io.StringIO()
    with progress_bars(forced, enabled=True, min_bytes=0) as start:
        update = start("download", 2048)
        update(1024)
        update(1024)
    assert "downloading" in forced.getvalue()
    assert "2.00k/2.00k" in forced.getvalue()


def test_transfer_modules_import_no_server_dependency():
    code = (
        "import sys, json, lineagegraph.sdk._transfer;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert {"minio", "neo4j", "strawberry", "starlette"}.isdisjoint(eval(out))  # noqa: S307


def _aged_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    time.sleep(0.07)  # older than the racy window of the caches below (0.05 s)


def test_digest_cache_skips_the_hash_pass_of_an_unchanged_file(
    s3: FakeS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    data = os.urandom(2 * PART + 3)
    path = tmp_path / "w.bin"
    _aged_file(path, data)
    cache = DigestCache(tmp_path / "digests.sqlite3", racy_seconds=0.05)
    http = httpx.Client(transport=httpx.MockTransport(s3.handle))
    with Transfers(FakeService(s3), http=http, retry=FAST, digest_cache=cache) as t:
        first = t.upload(path)
        assert not first.deduplicated
        assert first.blob.digest == _sha(data)

        def no_hashing(*args: object, **kwargs: object) -> None:
            raise AssertionError("hashed a file the digest cache knows")

        with monkeypatch.context() as patched:
            patched.setattr(_upload, "sha256_and_part_crcs", no_hashing)
            again = t.upload(path)
        assert again.deduplicated
        assert again.stats.bytes_sent == 0
        # rewritten in place (same size): hashed again, the new content uploaded
        changed = os.urandom(len(data))
        path.write_bytes(changed)
        third = t.upload(path)
        assert third.blob.digest == _sha(changed)
        assert not third.deduplicated
        assert third.stats.bytes_sent == len(changed)
    http.close()


def test_part_crcs_come_from_the_hash_pass(
    transfers: Transfers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    data = os.urandom(3 * PART + 11)
    path = tmp_path / "w.bin"
    path.write_bytes(data)

    def no_second_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("read a part again for its CRC32")

    monkeypatch.setattr(_upload, "crc32_range", no_second_read)
    result = transfers.upload(path)  # the fake S3 checks every part's CRC32
    assert result.blob.digest == _sha(data)
    assert result.stats.parts_sent == 4


def test_default_client_reads_big_unless_a_proxy_is_configured(monkeypatch: pytest.MonkeyPatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with default_http_client(3) as client:
        transport = client._transport
        assert isinstance(transport, _s3http._BigReadTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    with default_http_client(3) as client:
        assert not isinstance(client._transport, _s3http._BigReadTransport)


def test_big_reads_ask_the_socket_for_at_least_a_mebibyte():
    asked: list[int] = []

    class Stream(httpcore.NetworkStream):
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            asked.append(max_bytes)
            return b""

    assert _s3http._BigReads(Stream()).read(65536) == b""
    assert asked == [_s3http.RECEIVE_BYTES]
