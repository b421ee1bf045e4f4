"""``/graphql`` refuses a request body over ``max_request_bytes`` (413) before reading it whole,
changes nothing for it, keeps the connection usable, and the SDK loses nothing to the limit: a
batch over it is split until every event fits, an event over it on its own is reported."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest

import lineagegraph as lg
from lineagegraph.config import Settings
from lineagegraph.graph.catalog import Catalog
from tests.conftest import LiveService, run_service
from tests.integration.graph_helpers import fingerprint

LIMIT = 16 * 1024
SNAPSHOT = """mutation($input: RegisterDatasetSnapshotInput!) {
  registerDatasetSnapshot(input: $input) { ref } }"""
NODE = "query($ref: String!) { node(ref: $ref) { ref } }"
DIGEST = "sha256:" + "c" * 64


@pytest.fixture
def small(settings: Settings) -> Iterator[LiveService]:
    with run_service(settings.model_copy(update={"max_request_bytes": LIMIT})) as service:
        yield service


def _tags(padding: int) -> dict[str, str]:
    """About ``padding`` characters of tag values (a tag value holds at most 5,000)."""
    return {f"note{i}": "x" * min(4000, padding - i) for i in range(0, padding, 4000)}


def _register(name: str, padding: int) -> dict[str, Any]:
    tags = _tags(padding)
    snapshot = {"name": name, "version": "1", "uri": f"s3://b/{name}", "digest": DIGEST}
    return {"query": SNAPSHOT, "variables": {"input": {**snapshot, "tags": tags}}}


def _size(body: dict[str, Any]) -> int:
    return len(json.dumps(body).encode())


def _exists(http: httpx.Client, url: str, ref: str) -> bool:
    reply = http.post(url + "/graphql", json={"query": NODE, "variables": {"ref": ref}})
    body = reply.json()
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        return False
    return bool(body["data"]["node"])


def _refused(reply: httpx.Response) -> None:
    assert reply.status_code == 413, reply.text
    (error,) = reply.json()["errors"]
    assert error["extensions"] == {"code": "BAD_INPUT", "field": "body", "limit": LIMIT}
    assert str(LIMIT) in error["message"]


def test_a_body_over_the_limit_is_refused_and_changes_nothing(
    small: LiveService, http: httpx.Client, driver: neo4j.Driver, catalog: Catalog
) -> None:
    over = _register("too-big", LIMIT)
    assert _size(over) > LIMIT
    before = fingerprint(driver, catalog)
    _refused(http.post(small.url + "/graphql", json=over))  # Content-Length declared

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        data = json.dumps(over).encode()
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    reply = http.post(
        small.url + "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in reply.request.headers
    _refused(reply)
    assert fingerprint(driver, catalog) == before
    # the same keep-alive connection still serves, and a body within the limit is taken
    under = _register("fits", LIMIT - 1024)
    assert LIMIT - 1024 < _size(under) <= LIMIT
    reply = http.post(small.url + "/graphql", json=under)
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["registerDatasetSnapshot"]["ref"] == "dataset:fits@1"
    assert not _exists(http, small.url, "dataset:too-big@1")


def test_the_sdk_splits_what_the_service_refuses_and_loses_nothing(
    small: LiveService, http: httpx.Client, tmp_path: Path
) -> None:
    """The SDK believes the service takes 1 MiB bodies; the service takes 16 KiB. Its batches
    are refused (413) and split until they fit: every event arrives; the one event over 16 KiB
    on its own is reported, not retried for ever and not silently dropped."""
    settings = small.settings.model_copy(update={"max_request_bytes": 1024**2})
    client = lg.Client(
        url=small.url,
        settings=settings,
        spool_dir=tmp_path / "spool",
        blobs=False,
        handle_sigterm=False,
        sender_process=False,
    )
    prefix = uuid.uuid4().hex[:8]
    names = [f"{prefix}-{i}" for i in range(40)]
    try:
        for name in names:  # ~1.2 KiB an event: ~48 KiB in all, one batch for the SDK
            client.register_dataset_snapshot(
                name, "1", uri=f"s3://b/{name}", digest=DIGEST, tags={"note": "y" * 1200}
            )
        client.register_dataset_snapshot(
            f"{prefix}-huge", "1", uri="s3://b/huge", digest=DIGEST, tags=_tags(LIMIT)
        )
        with pytest.warns(lg.LineageWarning, match="TOO_LARGE"):  # told in the user's thread
            assert client.flush(60) == 0
        errors = client.errors
    finally:
        client.close()
    assert [(e.code, e.event["artifact"]["name"]) for e in errors] == [
        ("TOO_LARGE", f"{prefix}-huge")
    ]
    assert all(_exists(http, small.url, f"dataset:{name}@1") for name in names)
    assert not _exists(http, small.url, f"dataset:{prefix}-huge@1")
