"""create_app(settings): the Starlette application, wiring Neo4j, S3 and GraphQL together.

Resources are opened once in the lifespan and handed to requests as typed state.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TypedDict

import anyio.to_thread
import neo4j
from minio import Minio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lineagegraph.api.context import STORE_TIMING
from lineagegraph.api.schema import build_graphql_app
from lineagegraph.blobs.references import warm_plans
from lineagegraph.blobs.s3 import ensure_bucket, open_s3
from lineagegraph.config import Settings
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.driver import open_driver
from lineagegraph.graph.migrations import apply_migrations
from lineagegraph.openlineage import endpoint as openlineage_endpoint

log = logging.getLogger("lineagegraph")


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    driver: neo4j.Driver
    catalog: Catalog
    s3: Minio


class State(TypedDict):
    resources: Resources


def resources_of(request: Request) -> Resources:
    resources: Resources = request.state.resources
    return resources


def open_resources(settings: Settings) -> Resources:
    catalog = Catalog.load()
    driver = open_driver(settings)
    try:
        driver.verify_connectivity()
        applied = apply_migrations(driver, settings.neo4j_database, catalog)
        if applied:
            log.info("applied Neo4j migrations: %s", ", ".join(applied))
        s3 = open_s3(settings)
        ensure_bucket(s3, settings.s3_bucket)
    except BaseException:
        driver.close()
        raise
    return Resources(settings, driver, catalog, s3)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _check_neo4j(resources: Resources) -> None:
    # An auto-commit query, not execute_query: the probe must fail fast, not retry for seconds.
    with resources.driver.session(
        database=resources.settings.neo4j_database, default_access_mode=neo4j.READ_ACCESS
    ) as session:
        session.run(resources.catalog["meta.ping"].text).consume()


def _check_s3(resources: Resources) -> None:
    if not resources.s3.bucket_exists(resources.settings.s3_bucket):
        raise RuntimeError(f"bucket {resources.settings.s3_bucket!r} is missing")


async def readyz(request: Request) -> JSONResponse:
    resources = resources_of(request)
    components: dict[str, dict[str, str]] = {}
    for name, check in (("neo4j", _check_neo4j), ("s3", _check_s3)):
        try:
            with anyio.fail_after(5):
                await anyio.to_thread.run_sync(check, resources, abandon_on_cancel=True)
            components[name] = {"status": "ok"}
        except TimeoutError:
            components[name] = {"status": "unavailable", "reason": "no answer within 5 s"}
        except Exception as exc:
            reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            components[name] = {"status": "unavailable", "reason": reason}
    failing = [name for name, c in components.items() if c["status"] != "ok"]
    body: dict[str, object] = {
        "status": "not ready" if failing else "ready",
        "components": components,
    }
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=503 if failing else 200)


class ServerTiming:
    """`Server-Timing: app;dur=<ms>, store;dur=<ms>, wait;dur=<ms>` on every HTTP response, so a
    client can tell its own and the network's time from the service's: `app` from the request
    reaching the application to its response headers, `store` inside the blocking store calls
    (worker threads), `wait` awaiting them (the calls plus the thread hops). A few clock reads per
    request; bench/graph_bench.py prints them next to what the client saw."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        timing = [0.0, 0.0]
        token = STORE_TIMING.set(timing)

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                app = (time.perf_counter() - start) * 1000
                value = f"app;dur={app:.3f}, store;dur={timing[0] * 1000:.3f}, "
                value += f"wait;dur={timing[1] * 1000:.3f}"
                headers = [*message.get("headers", ()), (b"server-timing", value.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            STORE_TIMING.reset(token)


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        resources = await anyio.to_thread.run_sync(open_resources, settings)
        # Plan the blob statements now, not on the first commitUpload (blobs/references.py).
        await anyio.to_thread.run_sync(
            warm_plans, resources.driver, settings.neo4j_database, resources.catalog
        )
        # Everything built so far (modules, the GraphQL schema, the driver) lives as long as the
        # process: keep it out of the collector. A full collection then walks only what requests
        # made; measured while serving impact queries on a loaded box: 2 full collections of 851
        # ms in all (one of 648 ms) without this, one of 5 ms with it.
        gc.collect()
        gc.freeze()
        try:
            yield {"resources": resources}
        finally:
            await anyio.to_thread.run_sync(resources.driver.close)

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # A Route, not a Mount: clients post to /graphql itself (a Mount answers 307 -> /graphql/).
        Route("/graphql", build_graphql_app(settings), methods=["GET", "POST"]),
        Route(openlineage_endpoint.PATH, openlineage_endpoint.post_lineage, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(ServerTiming)])
