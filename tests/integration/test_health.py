"""/healthz and /readyz against the real servers, including Neo4j dying behind the service."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineagegraph.cli._localstack import stack_module
from lineagegraph.config import load_settings
from tests.conftest import LiveService, run_service


def test_ready_with_both_servers(live_service: LiveService, http: httpx.Client):
    assert http.get(f"{live_service.url}/healthz").json() == {"status": "ok"}
    response = http.get(f"{live_service.url}/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["components"] == {"neo4j": {"status": "ok"}, "s3": {"status": "ok"}}


def test_migrations_are_recorded_and_idempotent(settings, driver, catalog):
    from lineagegraph.graph.migrations import apply_migrations, load_migrations

    assert apply_migrations(driver, settings.neo4j_database, catalog) == []
    records, _, _ = driver.execute_query(catalog["meta.applied_migrations"].text)
    assert [r["id"] for r in records] == [m.id for m in load_migrations()]


@pytest.fixture
def own_stack(stack_cache: Path) -> Iterator[Any]:
    """A stack of its own: this test kills its Neo4j."""
    mod = stack_module()
    with tempfile.TemporaryDirectory(prefix="lineage-kill-") as base:
        try:
            with mod.throwaway_stack(Path(base), stack_cache) as stack:
                yield stack
        except mod.StackError as exc:
            pytest.fail(f"could not start the local stack from deploy/local: {exc}")


def _wait_status(url: str, status: int, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=10)
        except httpx.TimeoutException:
            continue
        body = response.json()
        if response.status_code == status:
            return body
        time.sleep(0.5)
    pytest.fail(f"/readyz never answered {status}; last body {body}")


def test_readyz_follows_neo4j_dying_and_coming_back(own_stack: Any):
    env = own_stack.environment()
    settings = load_settings(
        neo4j_uri=env["LINEAGE_NEO4J_URI"],
        s3_endpoint=env["LINEAGE_S3_ENDPOINT"],
        s3_access_key=env["LINEAGE_S3_ACCESS_KEY"],
        s3_secret_key=env["LINEAGE_S3_SECRET_KEY"],
    )
    with run_service(settings) as service:
        assert _wait_status(service.url, 200)["status"] == "ready"

        os.kill(own_stack.neo4j.component.pid, signal.SIGKILL)
        own_stack.neo4j.component.process.wait(30)
        body = _wait_status(service.url, 503)
        assert body["failing"] == ["neo4j"]
        assert body["components"]["s3"] == {"status": "ok"}
        assert body["components"]["neo4j"]["status"] == "unavailable"
        assert body["components"]["neo4j"]["reason"]

        own_stack.neo4j.start()
        assert _wait_status(service.url, 200)["components"]["neo4j"] == {"status": "ok"}
