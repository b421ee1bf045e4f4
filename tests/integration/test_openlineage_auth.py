"""API-key auth on POST /api/v1/lineage with the service's own tokens, through the real
openlineage-python client (HTTP transport, api_key auth, gzip): write scope stores the events,
no token or an unknown one is 401, a read token is 403, and refused events store nothing. The
graph is read back through GraphQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import requests
from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpCompression, HttpTransport

from lineagegraph.config import Settings
from lineagegraph.graph.tokens import TokenStore
from tests.conftest import LiveService, run_service
from tests.integration.api_helpers import GraphQL
from tests.integration.openlineage_support import Graph, post, run_event

PRODUCER = "https://github.com/example/pipelines/tree/1.0"
NS = "postgres://warehouse:5432"
RUN_QUERY = """query($ref: String!) { node(ref: $ref) { ref ... on Run {
    status jobNamespace jobName consumed { ref } produced { ref } } } }"""


@pytest.fixture
def secured(settings: Settings) -> Iterator[LiveService]:
    with run_service(settings.model_copy(update={"auth_enabled": True})) as service:
        yield service


@pytest.fixture
def tokens(secured: LiveService, driver, catalog) -> TokenStore:
    return TokenStore(driver, secured.settings.neo4j_database, catalog)


def _client(url: str, token: str | None) -> OpenLineageClient:
    transport: dict[str, object] = {
        "type": "http",
        "url": url,
        "endpoint": "api/v1/lineage",
        "compression": "gzip",
        "timeout": 30,
    }
    if token is not None:
        transport["auth"] = {"type": "api_key", "apiKey": token}
    client = OpenLineageClient(config={"transport": transport})
    assert isinstance(client.transport, HttpTransport)
    assert client.transport.compression is HttpCompression.GZIP
    return client


def _events(run_id: str) -> list[RunEvent]:
    start = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)
    job = Job(namespace="airflow-prod", name="nightly.load")
    return [
        RunEvent(
            eventType=state,
            eventTime=(start + timedelta(minutes=minutes)).isoformat(),
            run=Run(runId=run_id),
            job=job,
            producer=PRODUCER,
            inputs=[InputDataset(namespace=NS, name="raw.orders")],
            outputs=[OutputDataset(namespace=NS, name="mart.orders")],
        )
        for state, minutes in ((RunState.START, 0), (RunState.COMPLETE, 5))
    ]


def _status_of_emit(client: OpenLineageClient, event: RunEvent) -> int | None:
    try:
        client.emit(event)
    except requests.HTTPError as error:
        return error.response.status_code
    return None


def test_write_token_is_accepted_and_others_are_refused(
    secured: LiveService, tokens: TokenStore, http: httpx.Client, driver, catalog
):
    graph = Graph(driver, catalog, secured.settings)
    writer = tokens.create("write", "airflow").secret
    admin = tokens.create("admin", "ops").secret
    reader = tokens.create("read", "dashboards").secret
    before = graph.counts()

    refused = {
        "no token": (None, 401),
        "unknown token": ("lg_0000_not-a-real-token", 401),
        "read token": (reader, 403),
    }
    for what, (token, status) in refused.items():
        client = _client(secured.url, token)
        try:
            for event in _events(str(uuid.uuid4())):
                assert _status_of_emit(client, event) == status, what
        finally:
            client.close()
    assert graph.counts() == before  # nothing of the refused events was stored

    # the messages say what is wrong (the client raises before showing them: plain httpx here)
    event = run_event("START", uuid.uuid4(), "job", 0)
    missing = post(http, secured.url, event)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["error"]["message"]
    unknown = post(http, secured.url, event, token="lg_0000_not-a-real-token")
    assert "unknown or revoked" in unknown.json()["error"]["message"]
    forbidden = post(http, secured.url, event, token=reader).json()["error"]
    assert (forbidden["code"], "write scope" in forbidden["message"]) == ("FORBIDDEN", True)
    basic = http.post(
        f"{secured.url}/api/v1/lineage",
        json=event,
        headers={"Authorization": "Basic abc"},
    )
    assert basic.status_code == 401
    assert graph.counts() == before

    for token in (writer, admin):
        run_id = str(uuid.uuid4())
        client = _client(secured.url, token)
        try:
            for event in _events(run_id):
                assert _status_of_emit(client, event) is None
        finally:
            client.close()
        node = GraphQL(http, secured.url, token=reader).ok(RUN_QUERY, ref=f"run:{run_id}")["node"]
        assert (node["status"], node["jobNamespace"], node["jobName"]) == (
            "COMPLETED",
            "airflow-prod",
            "nightly.load",
        )
        assert [c["ref"] for c in node["consumed"]] == [f"dataset:{NS}/raw.orders@unknown"]
        assert [p["ref"] for p in node["produced"]] == [f"dataset:{NS}/mart.orders@run-{run_id}"]


def test_a_revoked_token_stops_working(
    secured: LiveService, tokens: TokenStore, http: httpx.Client, monkeypatch
):
    from lineagegraph.api import auth

    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)  # no grace interval for this test
    created = tokens.create("write", "short-lived")
    event = run_event("START", uuid.uuid4(), "job", 0)
    assert post(http, secured.url, event, token=created.secret, compress=True).status_code == 201
    tokens.revoke(created.id)
    again = post(http, secured.url, event, token=created.secret, compress=True)
    assert again.status_code == 401
    assert "unknown or revoked" in again.json()["error"]["message"]
