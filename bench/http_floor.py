"""The floor under the GraphQL latency: the same read behind a plain HTTP endpoint, no GraphQL.

bench/graph_bench.py compares each GraphQL read with the same read transaction run raw through the
driver. This app answers the benchmark's two requests (its ``impact`` and ``lineage`` queries,
POSTed as GraphQL JSON) with everything a Python HTTP service needs and nothing GraphQL adds:
uvicorn with the service's own options, a Starlette route, the JSON body read with the stdlib
decoder, the service's store call (``GraphStore.impact`` / ``lineage``, the same statements) in a
worker thread through anyio as the service's resolvers do, the result shaped into the very body the
GraphQL response carries (checked against it for every root before timing) and encoded by orjson.
Not a product endpoint: it lives only in the benchmark, in its own process with its own driver.

What it measures: ``floor / raw`` is the least the service's stack (uvicorn, Starlette, the hop to
a worker thread, the loopback round trip and the client) can cost over the raw read;
``GraphQL / floor`` is what strawberry, graphql-core and the service's own GraphQL layer add.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.processes import process, wait_ready
from lineagegraph.config import Settings
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.driver import open_driver
from lineagegraph.graph.results import Direction, ImpactResult, LineageResult
from lineagegraph.graph.store import GraphStore
from lineagegraph.refs import NodeKind

PATH = "/floor"

#: the impact query's groups, in the order it selects them (bench/graph_bench.py IMPACT)
_GROUPS = (
    ("runs", NodeKind.RUN),
    ("datasetSnapshots", NodeKind.DATASET_SNAPSHOT),
    ("featureDefinitions", NodeKind.FEATURE_DEFINITION),
    ("models", NodeKind.MODEL),
    ("evaluationReports", NodeKind.EVALUATION_REPORT),
)


def impact_body(result: ImpactResult) -> dict[str, Any]:
    groups: dict[NodeKind, list[dict[str, Any]]] = {kind: [] for _, kind in _GROUPS}
    for item in result.items:
        groups[item.kind].append(
            {"ref": item.ref, "name": item.name, "version": item.version, "depth": item.depth}
        )
    body: dict[str, Any] = {"total": result.total, "truncated": result.truncated}
    body.update((key, groups[kind]) for key, kind in _GROUPS)
    return {"data": {"impact": body}}


def lineage_body(result: LineageResult) -> dict[str, Any]:
    nodes = [
        {"ref": n.ref, "kind": n.kind.value, "name": n.name, "version": n.version, "depth": n.depth}
        for n in result.nodes
    ]
    edges = [{"from": e.from_ref, "to": e.to_ref, "kind": e.kind.value} for e in result.edges]
    return {"data": {"lineage": {"nodes": nodes, "edges": edges, "truncated": result.truncated}}}


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, GraphStore]]:
        driver = open_driver(settings)
        try:
            yield {"store": GraphStore(driver, settings.neo4j_database, Catalog.load())}
        finally:
            driver.close()

    async def floor(request: Request) -> Response:
        variables = json.loads(await request.body())["variables"]
        store: GraphStore = request.state.store
        ref = variables["ref"]
        if "direction" in variables:
            direction = Direction(variables["direction"])
            lineage = await anyio.to_thread.run_sync(store.lineage, ref, direction, 5, None)
            body = lineage_body(lineage)
        else:
            body = impact_body(await anyio.to_thread.run_sync(store.impact, ref))
        return Response(orjson.dumps(body), media_type="application/json")

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route(PATH, floor, methods=["POST"]), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


_SERVE = """
import sys
import uvicorn
from bench.http_floor import create_app
from lineagegraph.config import load_settings
port, neo4j = sys.argv[1:3]
settings = load_settings(neo4j_uri=neo4j, log_level="warning")
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(port), log_level="warning",
            lifespan="on")
"""


@contextlib.contextmanager
def running(neo4j_uri: str, port: int, log: Path, root: Path) -> Iterator[str]:
    """The floor app in its own process (as the service runs in its own); yields its URL."""
    cmd = [sys.executable, "-c", _SERVE, str(port), neo4j_uri]
    with process(cmd, log, cwd=root) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc, path="/healthz")
        yield url
