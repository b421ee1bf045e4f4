"""The blob protocol through the running service (GraphQL), real Neo4j and S3: what the SDK and CLI
use. The protocol's edge cases against the BlobStore itself are in the other test_blobs_* files;
here each is tried once through the wire, with the graph side (PENDING -> AVAILABLE) checked."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minio import Minio

import lineagegraph as lg
from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobTooLarge,
    CommitUpload,
    DigestMismatch,
    PresignedRequest,
    PresignParts,
    TransferFailed,
    UploadPlan,
)
from lineagegraph.blobs import multipart
from lineagegraph.blobs.keys import blob_key
from lineagegraph.config import Settings
from lineagegraph.errors import BadInput, NotFound
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService
from lineagegraph.sdk._s3http import RetryPolicy
from lineagegraph.sdk._transfer import Transfers
from tests.conftest import LiveService, run_service
from tests.integration._blob_helpers import (
    MIB,
    abort_all_uploads,
    file_sha256,
    keys,
    leftovers,
    pending_uploads,
    random_file,
)
from tests.integration.api_helpers import GraphQL, code_of, field_of
from tests.integration.test_blobs_resume import FaultyNetwork

PART = 8 * MIB  # FaultyNetwork cuts a third into a part of this size
FAST_RETRY = RetryPolicy(attempts=3, backoff_seconds=0.01)
NODE = "query($ref: String!) { node(ref: $ref) { ... on Artifact { status digest uri storage } } }"


@pytest.fixture
def service(settings: Settings, s3: Minio) -> Iterator[LiveService]:
    tuned = settings.model_copy(
        update={
            "multipart_threshold": PART,
            "multipart_part_size": PART,
            "max_artifact_size": 256 * MIB,
        }
    )
    with run_service(tuned) as live:
        yield live
    abort_all_uploads(s3, settings.s3_bucket)


@pytest.fixture
def blobs(service: LiveService) -> Iterator[GraphQLBlobService]:
    remote = GraphQLBlobService(service.url)
    yield remote
    remote.close()


@pytest.fixture
def gql(service: LiveService, http: httpx.Client) -> GraphQL:
    return GraphQL(http, service.url)


def _client(service: LiveService, tmp_path: Path) -> lg.Client:
    return lg.Client(url=service.url, spool_dir=tmp_path / "spool", handle_sigterm=False)


def _status(gql: GraphQL, ref: str) -> dict[str, Any]:
    node: dict[str, Any] = gql.ok(NODE, ref=ref)["node"]
    return node


def test_200_mb_round_trip_dedup_and_download_by_ref(
    service: LiveService, gql: GraphQL, tmp_path: Path
):
    source = tmp_path / "weights.bin"
    size = 200 * MIB + 12345
    digest = random_file(source, size, seed=201)
    bucket = service.settings.s3_bucket
    with _client(service, tmp_path) as client:
        first = client.register_dataset_snapshot("weights", "1", path=source)
        blobs = client._blobs
        assert blobs is not None
        sent = blobs.last_upload
        assert sent is not None
        assert sent.stats.bytes_sent == size
        assert not sent.deduplicated
        assert sent.blob.verified_by == "read"  # multipart: the service hashed it
        again = client.register_dataset_snapshot("weights", "2", path=source)
        dedup = blobs.last_upload
        assert dedup is not None
        assert dedup.deduplicated
        assert dedup.stats.bytes_sent == 0  # the same content sends no byte
        assert client.flush(30) == 0
        assert client.errors == []
        out = tmp_path / "out" / "weights.bin"
        back = client.download(first, out)
    assert (first.digest, again.digest, back.digest) == (digest, digest, digest)
    assert back.size == size
    assert file_sha256(out) == digest
    node = _status(gql, first.ref)
    assert node == {
        "status": "AVAILABLE",
        "digest": digest,
        "uri": f"s3://{bucket}/{blob_key(digest)}",
        "storage": f"s3://{bucket}",
    }


def test_a_registration_before_its_bytes_is_pending_until_the_commit(
    service: LiveService, gql: GraphQL, blobs: GraphQLBlobService, tmp_path: Path
):
    """A stored artifact claiming AVAILABLE before its blob is proven is recorded PENDING; no
    download is handed out; the commit of the blob flips it to AVAILABLE."""
    source = tmp_path / "model.bin"
    digest = random_file(source, 3 * MIB, seed=202)
    bucket = service.settings.s3_bucket
    uri = f"s3://{bucket}/{blob_key(digest)}"
    registered = gql.ok(
        "mutation($input: RegisterModelInput!) { registerModel(input: $input) { ref status } }",
        input={
            "name": "early",
            "version": "1",
            "digest": digest,
            "uri": uri,
            "storage": f"s3://{bucket}",
            "sizeBytes": 3 * MIB,
        },
    )["registerModel"]
    assert registered == {"ref": "model:early@1", "status": "PENDING"}
    error = gql.error("query($ref: String) { downloadUrl(ref: $ref) { url } }", ref="model:early@1")
    assert code_of(error) == "NOT_FOUND"
    assert "PENDING" in error["message"]
    # a dataset:<name> binding never picks a PENDING snapshot either (graph store rule)
    with Transfers(blobs) as transfers:
        result = transfers.upload(source)
    assert result.blob.digest == digest
    assert _status(gql, "model:early@1")["status"] == "AVAILABLE"
    with Transfers(blobs) as transfers:
        back = transfers.download(blobs.artifact_ticket("model:early@1"), tmp_path / "back.bin")
    assert back.digest == digest


def test_tampered_object_is_rejected_and_nothing_registered(
    service: LiveService, blobs: GraphQLBlobService, s3: Minio, gql: GraphQL, tmp_path: Path
):
    """The object is replaced in S3 between the PUT and the commit: the commit is refused
    (BAD_INPUT on the wire), the object removed, and the SDK registers nothing."""
    bucket = service.settings.s3_bucket
    source = tmp_path / "m.bin"
    random_file(source, 64 * 1024, seed=203)

    class Tampering:
        def __getattr__(self, name: str) -> Any:
            return getattr(blobs, name)

        def commit_upload(self, request: CommitUpload) -> Any:
            forged = os.urandom(request.size)
            s3.put_object(bucket, blob_key(request.digest), io.BytesIO(forged), len(forged))
            return blobs.commit_upload(request)

    with (
        lg.Client(
            url=service.url,
            spool_dir=tmp_path / "spool",
            handle_sigterm=False,
            blobs=Tampering(),  # type: ignore[arg-type]
        ) as client,
    ):
        with pytest.raises(BadInput, match="removed") as caught:
            client.register_dataset_snapshot("m", "1", path=source)
        assert caught.value.field == "input.digest"
        assert client.flush(10) == 0
    assert keys(s3, bucket, "blobs/") == []
    error = gql.error('query { node(ref: "dataset:m@1") { ref } }')
    assert code_of(error) == "NOT_FOUND"


def test_interrupted_multipart_resumes_through_the_service(
    service: LiveService, blobs: GraphQLBlobService, s3: Minio, tmp_path: Path
):
    source = tmp_path / "w.bin"
    size = 4 * PART + 999
    digest = random_file(source, size, seed=204)
    bucket = service.settings.s3_bucket
    broken = FaultyNetwork(lambda part, attempt: "cut" if part == 3 else None)
    with (
        httpx.Client(transport=broken, timeout=60) as http,
        Transfers(blobs, http=http, retry=FAST_RETRY, concurrency=1) as transfers,
        pytest.raises(TransferFailed, match="part 3"),
    ):
        transfers.upload(source)
    (pending,) = pending_uploads(s3, bucket)
    stored = multipart.list_parts(s3, bucket, blob_key(digest), pending.upload_id)
    assert [p.number for p in stored] == [1, 2]
    assert blobs.stat(digest) is None

    network = FaultyNetwork(lambda part, attempt: None)
    with (
        httpx.Client(transport=network, timeout=60) as http,
        Transfers(blobs, http=http) as transfers,
    ):
        result = transfers.upload(source)
        back = transfers.download(digest, tmp_path / "back.bin")
    assert set(network.attempts) == {3, 4, 5}  # parts 1 and 2 were not sent again
    assert result.stats.parts_reused == 2
    assert result.stats.bytes_sent == size - 2 * PART
    assert back.digest == digest
    assert pending_uploads(s3, bucket) == []


def test_abort_upload_drops_the_parts(service: LiveService, blobs: GraphQLBlobService, s3: Minio):
    digest = "sha256:" + "7" * 64
    plan = blobs.begin_upload(BeginUpload(digest=digest, size=2 * PART))
    assert plan.state == "multipart"
    assert plan.upload_id is not None
    assert blobs.abort_upload(digest, plan.upload_id) is True
    assert blobs.abort_upload(digest, plan.upload_id) is False
    assert pending_uploads(s3, service.settings.s3_bucket) == []


def test_bad_input_through_the_service(
    service: LiveService, blobs: GraphQLBlobService, gql: GraphQL, s3: Minio, tmp_path: Path
):
    bucket = service.settings.s3_bucket
    real = tmp_path / "real.bin"
    digest = random_file(real, 1000, seed=205)
    with _client(service, tmp_path) as client:
        with pytest.raises(BadInput, match="no such file"):
            client.register_dataset_snapshot("d", "1", path=tmp_path / "missing.bin")
        with pytest.raises(BadInput, match="is a directory"):
            client.register_dataset_snapshot("d", "1", path=tmp_path)
        with pytest.raises(DigestMismatch, match="not the declared"):
            client.register_dataset_snapshot("d", "1", path=real, digest="sha256:" + "0" * 64)
        big = tmp_path / "big.bin"
        with big.open("wb") as handle:  # sparse: over the 256 MiB limit, nothing to read
            handle.truncate(256 * MIB + 1)
        with pytest.raises(BlobTooLarge, match="max_artifact_size"):
            client.register_dataset_snapshot("d", "1", path=big)
        empty = tmp_path / "empty.bin"
        empty.write_bytes(b"")
        zero = client.register_dataset_snapshot("empty", "1", path=empty)  # legitimate
        assert client.flush(10) == 0
        assert client.errors == []
        back = client.download(zero, tmp_path / "out" / "empty.bin")
    assert back.size == 0
    nothing = gql.error('query { node(ref: "dataset:d@1") { ref } }')
    assert code_of(nothing) == "NOT_FOUND"  # no refused file left a half registration
    assert keys(s3, bucket, "blobs/") == [blob_key(zero.digest or "")]
    assert digest.removeprefix("sha256:") not in str(keys(s3, bucket))  # nothing of it stored

    # the service itself checks what the wire carries, naming the input field
    begin = "mutation($input: BeginUploadInput!) { beginUpload(input: $input) { state } }"
    over = gql.error(begin, input={"digest": digest, "size": 256 * MIB + 1})
    assert (code_of(over), field_of(over)) == ("BAD_INPUT", "input.size")
    bad = gql.error(begin, input={"digest": "md5:abc", "size": 10})
    assert (code_of(bad), field_of(bad)) == ("BAD_INPUT", "input.digest")
    negative = gql.error(begin, input={"digest": digest, "size": -1})
    assert (code_of(negative), field_of(negative)) == ("BAD_INPUT", "input.size")
    missing = gql.error(
        "mutation($input: CommitUploadInput!) { commitUpload(input: $input) { promoted } }",
        input={"digest": "sha256:" + "9" * 64, "size": 10},
    )
    assert code_of(missing) == "NOT_FOUND"
    unknown = gql.error(
        "query($d: String) { downloadUrl(digest: $d) { url } }", d="sha256:" + "8" * 64
    )
    assert code_of(unknown) == "NOT_FOUND"
    both = gql.error("query { downloadUrl { url } }")
    assert (code_of(both), field_of(both)) == ("BAD_INPUT", "ref")
    with pytest.raises(NotFound):
        blobs.artifact_ticket("model:nothing@1")


class _Late:
    """Answers reach the client after their presigned URLs expired (the first time each)."""

    def __init__(self, inner: GraphQLBlobService) -> None:
        self.inner = inner
        self.delayed: set[str] = set()

    def _late(self, what: str) -> None:
        if what not in self.delayed:
            self.delayed.add(what)
            time.sleep(2.1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def begin_upload(self, request: BeginUpload) -> UploadPlan:
        plan = self.inner.begin_upload(request)
        self._late("begin")
        return plan

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]:
        urls = self.inner.presign_parts(request)
        self._late("parts")
        return urls


def test_presigned_urls_after_expiry(settings: Settings, s3: Minio, tmp_path: Path):
    short = settings.model_copy(
        update={
            "presign_expiry_seconds": 1,
            "multipart_threshold": 5 * MIB,
            "multipart_part_size": 5 * MIB,
        }
    )
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small_digest = random_file(small, 1000, seed=206)
    big_digest = random_file(big, 5 * MIB + 10, seed=207)
    with run_service(short) as live:
        remote = GraphQLBlobService(live.url)
        late = _Late(remote)
        with Transfers(late, concurrency=1) as transfers:  # type: ignore[arg-type]
            first = transfers.upload(small)
            second = transfers.upload(big)
            ticket = remote.download_ticket(small_digest)
            time.sleep(2.1)
            expired = httpx.get(ticket.url, headers=ticket.headers)
            assert expired.status_code == 403
            out = tmp_path / "out"
            with pytest.raises(Exception, match="expired"):
                transfers.download(ticket, out / "small.bin")
            assert leftovers(out) == []
            back = transfers.download(small_digest, out / "small.bin")  # fresh ticket
        remote.close()
    assert first.stats.retries == 1  # the single PUT met an expired URL once, then a fresh one
    # so did the first part (and the next one too when sending 5 MiB outlasts the URLs' 1 s
    # lifetime on a loaded machine: tests/integration/test_blobs_bad_input.py)
    assert second.stats.retries >= 1
    assert (first.blob.digest, second.blob.digest) == (small_digest, big_digest)
    assert back.digest == small_digest
    abort_all_uploads(s3, settings.s3_bucket)


def test_uploads_need_the_write_scope_downloads_the_read_scope(
    settings: Settings,
    s3: Minio,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
):
    from tests.integration.test_api_auth import create_token

    monkeypatch.setenv("LINEAGE_NEO4J_URI", settings.neo4j_uri)
    if settings.neo4j_password is not None:
        monkeypatch.setenv("LINEAGE_NEO4J_PASSWORD", settings.neo4j_password.get_secret_value())
    reader = create_token(capsys, "read", "dashboards")
    writer = create_token(capsys, "write", "training")
    source = tmp_path / "f.bin"
    digest = random_file(source, 5000, seed=208)
    with run_service(settings.model_copy(update={"auth_enabled": True})) as live:
        anonymous = GraphQLBlobService(live.url)
        read_only = GraphQLBlobService(live.url, reader)
        read_write = GraphQLBlobService(live.url, writer)
        try:
            with pytest.raises(Exception, match="token") as caught:
                anonymous.begin_upload(BeginUpload(digest=digest, size=5000))
            assert type(caught.value).__name__ == "Unauthenticated"
            with pytest.raises(Exception, match="write scope") as caught:
                read_only.begin_upload(BeginUpload(digest=digest, size=5000))
            assert type(caught.value).__name__ == "Forbidden"
            with Transfers(read_write) as transfers:
                transfers.upload(source)
            with Transfers(read_only) as transfers:
                back = transfers.download(digest, tmp_path / "back.bin")
            assert back.digest == digest
            assert read_only.stat(digest) is not None
        finally:
            for remote in (anonymous, read_only, read_write):
                remote.close()
    abort_all_uploads(s3, settings.s3_bucket)


def test_a_blob_put_but_never_committed_promotes_on_the_next_dedup_hit(
    service: LiveService, gql: GraphQL, blobs: GraphQLBlobService
):
    """The client died between its PUT and commitUpload: the blob is proven by S3's own SHA-256,
    and the next beginUpload of that content (a dedup hit, no commit follows) promotes the
    artifact registered before the bytes."""
    data = os.urandom(4096)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    bucket = service.settings.s3_bucket
    registered = gql.ok(
        "mutation($input: RegisterModelInput!) { registerModel(input: $input) { status } }",
        input={
            "name": "late",
            "version": "1",
            "digest": digest,
            "uri": f"s3://{bucket}/{blob_key(digest)}",
        },
    )["registerModel"]
    assert registered["status"] == "PENDING"
    plan = blobs.begin_upload(BeginUpload(digest=digest, size=len(data)))
    assert plan.single is not None
    put = httpx.put(plan.single.url, content=data, headers=plan.single.headers, timeout=30)
    assert put.status_code == 200
    assert _status(gql, "model:late@1")["status"] == "PENDING"  # no commit yet
    again = blobs.begin_upload(BeginUpload(digest=digest, size=len(data)))
    assert again.state == "stored"
    assert _status(gql, "model:late@1")["status"] == "AVAILABLE"
