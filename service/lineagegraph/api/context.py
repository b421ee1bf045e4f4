"""The per-request context: the store, who is asking, and the request's DataLoaders.

Every field that returns nodes goes through a DataLoader, so a query asking for the producer of
fifty artifacts makes one `read.artifact_producers` query, not fifty (no N+1). Loaders live for
one request only: nothing is cached across requests.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from lineagegraph.api.auth import Identity
from lineagegraph.config import Settings
from lineagegraph.graph.reads import RELATIONS, MetricPoint
from lineagegraph.graph.store import GraphStore

T = TypeVar("T")
Node = dict[str, Any]


#: Per request (app.ServerTiming sets it): seconds spent in store calls inside worker threads, and
#: awaiting them (the call plus the hops to and from the thread); reported in `Server-Timing`.
STORE_TIMING: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "store_timing", default=None
)


def _timed(call: Callable[[], T], into: list[float]) -> T:
    start = time.perf_counter()
    try:
        return call()
    finally:
        into[0] += time.perf_counter() - start


async def in_thread(call: Callable[..., T], *args: Any) -> T:
    """Run a blocking store call in a worker thread (the Neo4j driver is synchronous)."""
    timing = STORE_TIMING.get()
    if timing is None:
        return await anyio.to_thread.run_sync(functools.partial(call, *args))
    start = time.perf_counter()
    try:
        return await anyio.to_thread.run_sync(_timed, functools.partial(call, *args), timing)
    finally:
        timing[1] += time.perf_counter() - start


class Loaders:
    """Each loader is made on first use (most requests use none or one of them)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        # loaders of resolver modules merged into the schema (api/deprecation.py ...), by name
        self.extra: dict[str, DataLoader[Any, Any]] = {}
        self._related: dict[str, DataLoader[str, list[Node]]] = {}

    @functools.cached_property
    def nodes(self) -> DataLoader[str, Node | None]:
        return DataLoader(self._load_nodes)

    @functools.cached_property
    def metric_keys(self) -> DataLoader[str, list[str]]:
        return DataLoader(self._load_metric_keys)

    @functools.cached_property
    def metric_series(self) -> DataLoader[tuple[str, str], list[MetricPoint]]:
        return DataLoader(self._load_metric_series)

    def related(self, relation: str) -> DataLoader[str, list[Node]]:
        loader = self._related.get(relation)
        if loader is None:
            if relation not in RELATIONS:
                raise KeyError(relation)
            loader = DataLoader(functools.partial(self._load_related, relation))
            self._related[relation] = loader
        return loader

    async def _load_nodes(self, refs: Sequence[str]) -> list[Node | None]:
        found = await in_thread(self.store.get_nodes, list(refs))
        return [found.get(ref) for ref in refs]

    async def _load_related(self, relation: str, refs: Sequence[str]) -> list[list[Node]]:
        found = await in_thread(self.store.related, relation, list(refs))
        return [found.get(ref, []) for ref in refs]

    async def _load_metric_keys(self, refs: Sequence[str]) -> list[list[str]]:
        found = await in_thread(self.store.metric_keys, list(refs))
        return [found.get(ref, []) for ref in refs]

    async def _load_metric_series(
        self, pairs: Sequence[tuple[str, str]]
    ) -> list[list[MetricPoint]]:
        found = await in_thread(self.store.metric_series_many, list(pairs))
        return [found.get(pair, []) for pair in pairs]


@dataclass
class Context:
    request: Request
    response: Response
    settings: Settings
    store: GraphStore
    identity: Identity
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)
