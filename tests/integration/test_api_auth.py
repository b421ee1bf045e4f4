"""API tokens end to end: created by the CLI, stored hashed, scopes enforced by the service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from lineagegraph.api import auth
from lineagegraph.cli.main import main
from lineagegraph.config import Settings
from tests.conftest import LiveService, run_service
from tests.integration.api_helpers import GraphQL, code_of

QUERY = "{ runs { nodes { ref } } }"
MUTATION = 'mutation { startRun(input: {name: "r"}) { ref } }'
INGEST = "mutation($e: JSON!) { ingest(input: {events: $e}) { accepted } }"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI reads its settings from the environment, like the service."""
    monkeypatch.setenv("LINEAGE_NEO4J_URI", settings.neo4j_uri)
    if settings.neo4j_password is not None:
        monkeypatch.setenv("LINEAGE_NEO4J_PASSWORD", settings.neo4j_password.get_secret_value())
    monkeypatch.setenv("LINEAGE_NEO4J_DATABASE", settings.neo4j_database)
    return settings


def create_token(capsys: pytest.CaptureFixture[str], scope: str, name: str) -> str:
    assert main(["token", "create", "--scope", scope, "--name", name]) == 0
    out, err = capsys.readouterr()
    assert "shown only" in err
    token = out.strip()
    assert token.startswith("lg_")
    return token


@pytest.fixture
def secured(cli_env: Settings) -> Iterator[LiveService]:
    with run_service(cli_env.model_copy(update={"auth_enabled": True})) as service:
        yield service


def test_scopes_are_enforced(
    secured: LiveService, http: httpx.Client, capsys: pytest.CaptureFixture[str]
):
    reader = create_token(capsys, "read", "dashboards")
    writer = create_token(capsys, "write", "training")
    admin = create_token(capsys, "admin", "ops")

    anonymous = GraphQL(http, secured.url)
    assert code_of(anonymous.error(QUERY)) == "UNAUTHENTICATED"
    assert code_of(anonymous.error(MUTATION)) == "UNAUTHENTICATED"
    assert code_of(anonymous.error("{ serviceVersion }")) == "UNAUTHENTICATED"
    forged = GraphQL(http, secured.url, token="lg_0000_not-a-real-token")
    error = forged.error(QUERY)
    assert code_of(error) == "UNAUTHENTICATED"
    assert "unknown or revoked" in error["message"]
    basic = http.post(
        f"{secured.url}/graphql", json={"query": QUERY}, headers={"Authorization": "Basic abc"}
    ).json()
    assert basic["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    read = GraphQL(http, secured.url, token=reader)
    assert read.ok(QUERY) == {"runs": {"nodes": []}}
    denied = read.error(MUTATION)
    assert code_of(denied) == "FORBIDDEN"
    assert "write scope" in denied["message"]
    events = [{"type": "run_started", "run_id": str(uuid.uuid4()), "name": "r"}]
    assert code_of(read.error(INGEST, e=events)) == "FORBIDDEN"
    assert read.ok(QUERY) == {"runs": {"nodes": []}}  # the refused writes wrote nothing

    write = GraphQL(http, secured.url, token=writer)
    ref = write.ok(MUTATION)["startRun"]["ref"]
    assert write.ok(INGEST, e=events)["ingest"]["accepted"] == 1
    assert ref in {n["ref"] for n in write.ok(QUERY)["runs"]["nodes"]}
    assert GraphQL(http, secured.url, token=admin).ok(MUTATION)["startRun"]["ref"]


def test_tokens_are_stored_hashed_and_can_be_revoked(
    secured: LiveService,
    http: httpx.Client,
    driver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    token = create_token(capsys, "read", "short-lived")
    records, _, _ = driver.execute_query("MATCH (t:ApiToken) RETURN properties(t) AS p")
    (props,) = [r["p"] for r in records]
    assert token not in str(props)
    secret = token.split("_", 2)[2]
    assert secret not in str(props)
    assert props["hash"].startswith("sha256:")
    assert props["scope"] == "read"

    client = GraphQL(http, secured.url, token=token)
    assert client.ok(QUERY)
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "short-lived" in listed
    assert token not in listed
    assert main(["token", "revoke", props["id"]]) == 0
    assert code_of(client.error(QUERY)) == "UNAUTHENTICATED"
    assert main(["token", "revoke", "nope"]) == 1


def test_auth_off_is_refused_off_loopback():
    from lineagegraph.config import load_settings
    from lineagegraph.errors import ConfigError

    with pytest.raises(ConfigError, match="not loopback"):
        load_settings(host="0.0.0.0", auth_enabled=False)
    assert load_settings(host="0.0.0.0", auth_enabled=True).auth_enabled
