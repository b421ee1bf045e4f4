"""Session fixtures for the real Neo4j and S3 servers, and per-test isolation.

Where the servers come from, in order:
1. endpoints given by LINEAGE_TEST_NEO4J_URI / LINEAGE_TEST_S3_ENDPOINT (plus
   LINEAGE_TEST_NEO4J_PASSWORD, LINEAGE_TEST_S3_ACCESS_KEY, LINEAGE_TEST_S3_SECRET_KEY);
2. the servers from deploy/local, started on free loopback ports with throw-away data
   (Neo4j 5.26 LTS; LINEAGE_TEST_NEO4J_VERSION=2026.08.1 runs the suite on a calendar release);
3. where a Docker engine answers, testcontainers' Neo4j and MinIO containers.
If none works, the fixture fails with a message saying how to start the stack.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest
from minio import Minio

from lineagegraph.config import Settings, load_settings
from lineagegraph.graph.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
HOW_TO_START = (
    "No Neo4j/S3 server for the integration tests. Run `make test` (it installs and starts them "
    "from deploy/local), or start them yourself with `.venv/bin/lineage stack up` and set "
    "LINEAGE_TEST_NEO4J_URI, LINEAGE_TEST_NEO4J_PASSWORD, LINEAGE_TEST_S3_ENDPOINT, "
    "LINEAGE_TEST_S3_ACCESS_KEY and LINEAGE_TEST_S3_SECRET_KEY."
)


@dataclass(frozen=True)
class Endpoints:
    neo4j_uri: str
    neo4j_password: str | None
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    source: str
    stack: Any = None  # the deploy/local Stack, when we started one


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


def _from_environment() -> Endpoints | None:
    uri = os.environ.get("LINEAGE_TEST_NEO4J_URI")
    s3 = os.environ.get("LINEAGE_TEST_S3_ENDPOINT")
    if not uri and not s3:
        return None
    if not (uri and s3):
        pytest.fail("set both LINEAGE_TEST_NEO4J_URI and LINEAGE_TEST_S3_ENDPOINT, or neither")
    return Endpoints(
        uri,
        os.environ.get("LINEAGE_TEST_NEO4J_PASSWORD"),
        s3,
        os.environ.get("LINEAGE_TEST_S3_ACCESS_KEY", ""),
        os.environ.get("LINEAGE_TEST_S3_SECRET_KEY", ""),
        "environment",
    )


def _stack_cache() -> Path:
    """Where deploy/local keeps the servers' binaries (as `make` sets it)."""
    return Path(os.environ.get("LINEAGE_CACHE_DIR", ROOT / ".cache"))


@pytest.fixture(scope="session")
def stack_cache() -> Path:
    return _stack_cache()


def _from_local_stack(resources: ExitStack) -> Endpoints:
    from lineagegraph.cli._localstack import stack_module

    mod = stack_module()
    base = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="lineage-test-")))
    cache = _stack_cache()
    version = os.environ.get("LINEAGE_TEST_NEO4J_VERSION", mod.NEO4J_VERSION)
    stack = resources.enter_context(mod.throwaway_stack(base, cache, version))
    return Endpoints(
        stack.neo4j.uri,
        None,
        stack.s3.endpoint,
        stack.credentials.s3_access_key,
        stack.credentials.s3_secret_key,
        "deploy/local",
        stack,
    )


def _from_docker(resources: ExitStack) -> Endpoints:
    from testcontainers.minio import MinioContainer
    from testcontainers.neo4j import Neo4jContainer

    password = secrets.token_urlsafe(16)
    graph = resources.enter_context(Neo4jContainer("neo4j:5.26", password=password))
    s3 = resources.enter_context(MinioContainer())
    config = s3.get_config()
    return Endpoints(
        graph.get_connection_url(),
        password,
        f"http://{config['endpoint']}",
        config["access_key"],
        config["secret_key"],
        "testcontainers",
    )


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    given = _from_environment()
    if given is not None:
        yield given
        return
    with ExitStack() as resources:
        errors = []
        try:
            found = _from_local_stack(resources)
        except Exception as exc:
            errors.append(f"deploy/local: {exc}")
            try:
                found = _from_docker(resources)
            except Exception as docker_exc:
                errors.append(f"testcontainers: {docker_exc}")
                pytest.fail(HOW_TO_START + "\n" + "\n".join(errors), pytrace=False)
        yield found


@pytest.fixture(scope="session")
def base_settings(endpoints: Endpoints) -> Settings:
    return load_settings(
        neo4j_uri=endpoints.neo4j_uri,
        neo4j_password=endpoints.neo4j_password,
        s3_endpoint=endpoints.s3_endpoint,
        s3_access_key=endpoints.s3_access_key,
        s3_secret_key=endpoints.s3_secret_key,
        s3_bucket="lineage-session",
    )


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def driver(base_settings: Settings, catalog: Catalog) -> Iterator[neo4j.Driver]:
    from lineagegraph.graph.driver import open_driver
    from lineagegraph.graph.migrations import apply_migrations

    drv = open_driver(base_settings)
    apply_migrations(drv, base_settings.neo4j_database, catalog)
    yield drv
    drv.close()


@pytest.fixture(scope="session")
def s3(base_settings: Settings) -> Minio:
    from lineagegraph.blobs.s3 import open_s3

    return open_s3(base_settings)


@pytest.fixture
def clean_graph(driver: neo4j.Driver, catalog: Catalog, base_settings: Settings) -> neo4j.Driver:
    """An empty graph (migrations kept) for this test."""
    with driver.session(database=base_settings.neo4j_database) as session:
        session.run(catalog["admin.wipe_graph"].text).consume()
    return driver


@pytest.fixture
def bucket(s3: Minio) -> Iterator[str]:
    """A fresh bucket for this test, removed afterwards with everything in it."""
    name = f"t-{uuid.uuid4().hex[:20]}"
    s3.make_bucket(name)
    yield name
    for obj in s3.list_objects(name, recursive=True):
        s3.remove_object(name, obj.object_name or "")
    s3.remove_bucket(name)


@pytest.fixture
def settings(base_settings: Settings, bucket: str, clean_graph: neo4j.Driver) -> Settings:
    """Settings for one test: clean graph, fresh bucket."""
    return base_settings.model_copy(update={"s3_bucket": bucket})


@dataclass
class LiveService:
    url: str
    settings: Settings
    server: Any

    def stop(self) -> None:
        self.server.should_exit = True


@contextmanager
def run_service(settings: Settings) -> Iterator[LiveService]:
    """The real service under uvicorn on a free loopback port, in a thread."""
    import uvicorn

    from lineagegraph.app import create_app
    from lineagegraph.cli._localstack import stack_module

    port = stack_module().free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start; see the log above")
        time.sleep(0.05)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", settings, server)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def live_service(settings: Settings) -> Iterator[LiveService]:
    with run_service(settings) as service:
        yield service


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client
