"""The SDK's GraphQL BlobService: answers become blob_protocol models, errors their typed class."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from lineagegraph.blob_protocol import BeginUpload, CommitUpload, CompletedPart
from lineagegraph.errors import BadInput, NotFound, Unavailable
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService

DIGEST = "sha256:" + "ab" * 32
SENT: list[dict[str, Any]] = []


def _service(answer: Any) -> GraphQLBlobService:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        SENT.append(body)
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        return httpx.Response(status, json=payload)

    return GraphQLBlobService(
        "http://lineage.test", "tok", http_transport=httpx.MockTransport(handle)
    )


def test_a_multipart_plan_is_read_into_the_protocol_model():
    plan = {
        "digest": DIGEST,
        "size": "104857600",
        "uri": "s3://b/blobs/sha256/ab/" + "ab" * 32,
        "state": "MULTIPART",
        "blob": None,
        "single": None,
        "uploadId": "u-1",
        "partSize": 8388608,
        "partCount": 13,
        "storedParts": [{"number": 1, "size": 8388608, "crc32": "AAAAAA==", "etag": "e1"}],
    }
    service = _service((200, {"data": {"beginUpload": plan}}))
    got = service.begin_upload(BeginUpload(digest=DIGEST, size=100 * 1024**2))
    assert got.state == "multipart"
    assert (got.upload_id, got.part_size, got.part_count) == ("u-1", 8 * 1024**2, 13)
    assert got.stored_parts[0].etag == "e1"
    assert SENT[-1]["variables"]["input"] == {
        "digest": DIGEST,
        "size": 100 * 1024**2,
        "mediaType": None,
    }


def test_a_stored_plan_carries_the_blob():
    blob = {
        "digest": DIGEST,
        "size": 3,
        "uri": "s3://b/k",
        "storage": "s3://b",
        "mediaType": None,
        "verifiedBy": "S3_CHECKSUM",
        "deduplicated": True,
    }
    plan = {"digest": DIGEST, "size": 3, "uri": "s3://b/k", "state": "STORED", "blob": blob}
    got = _service((200, {"data": {"beginUpload": plan}})).begin_upload(
        BeginUpload(digest=DIGEST, size=3)
    )
    assert got.state == "stored"
    assert got.blob is not None
    assert (got.blob.verified_by, got.blob.deduplicated) == ("s3-checksum", True)


def test_errors_keep_their_code_and_field():
    bad = {
        "errors": [{"message": "no", "extensions": {"code": "BAD_INPUT", "field": "input.size"}}]
    }
    with pytest.raises(BadInput) as caught:
        _service((200, bad)).commit_upload(
            CommitUpload(
                digest=DIGEST, size=1, upload_id="u", parts=[CompletedPart(number=1, etag="e")]
            )
        )
    assert caught.value.field == "input.size"
    gone = {"errors": [{"message": "gone", "extensions": {"code": "NOT_FOUND"}}]}
    with pytest.raises(NotFound):
        _service((200, gone)).download_ticket(DIGEST)
    busy = {"errors": [{"message": "gc", "extensions": {"code": "UNAVAILABLE"}}]}
    with pytest.raises(Unavailable):
        _service((503, busy)).download_ticket(DIGEST)


def test_an_unreachable_service_is_unavailable_and_retried_by_transfers():
    with pytest.raises(Unavailable, match="did not answer"):
        _service(httpx.ConnectError("refused")).upload_limits()
    with pytest.raises(Unavailable, match="not JSON"):
        GraphQLBlobService(
            "http://lineage.test",
            http_transport=httpx.MockTransport(lambda r: httpx.Response(502, text="bad gateway")),
        ).upload_limits()


def test_the_token_is_sent_and_the_repr_has_no_secret():
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"data": {"abortUpload": True}})

    service = GraphQLBlobService(
        "http://lineage.test/", "s3cret", http_transport=httpx.MockTransport(handle)
    )
    assert service.abort_upload(DIGEST, "u") is True
    assert seen == ["Bearer s3cret"]
    assert "s3cret" not in repr(service)
    assert service.endpoint == "http://lineage.test/graphql"
