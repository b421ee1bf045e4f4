"""Reading back through GraphQL: impact of an artifact, a run's metric series and fields."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.refs import NodeKind, parse_ref

_ITEM = "{ ref name version depth }"
IMPACT_QUERY = (
    "query Impact($ref: String!) { impact(ref: $ref) { total "
    f"runs {_ITEM} datasetSnapshots {_ITEM} featureDefinitions {_ITEM} "
    f"models {_ITEM} evaluationReports {_ITEM} }} }}"
)
METRIC_QUERY = (
    "query RunMetric($ref: String!, $key: String!) { node(ref: $ref) { ref "
    "... on Run { metric(key: $key) { step value valueText } } } }"
)
RUN_QUERY = (
    "query RunInfo($ref: String!) { node(ref: $ref) { ref kind name "
    "... on Run { status startTime endTime metricKeys } } }"
)
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class Querier(Protocol):
    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ImpactItem:
    ref: str
    name: str
    version: str | None
    depth: int


@dataclass(frozen=True)
class Impact:
    """Everything downstream of an artifact, grouped by kind (the GraphQL ``impact`` query)."""

    ref: str
    total: int
    runs: list[ImpactItem] = field(default_factory=list)
    dataset_snapshots: list[ImpactItem] = field(default_factory=list)
    feature_definitions: list[ImpactItem] = field(default_factory=list)
    models: list[ImpactItem] = field(default_factory=list)
    evaluation_reports: list[ImpactItem] = field(default_factory=list)

    @property
    def refs(self) -> set[str]:
        groups = (
            self.runs,
            self.dataset_snapshots,
            self.feature_definitions,
            self.models,
            self.evaluation_reports,
        )
        return {item.ref for group in groups for item in group}


def _items(rows: list[dict[str, Any]] | None) -> list[ImpactItem]:
    return [ImpactItem(r["ref"], r["name"], r.get("version"), int(r["depth"])) for r in rows or []]


def fetch_impact(querier: Querier, ref: str) -> Impact:
    data = querier.query(IMPACT_QUERY, {"ref": ref})["impact"]
    return Impact(
        ref=ref,
        total=int(data["total"]),
        runs=_items(data.get("runs")),
        dataset_snapshots=_items(data.get("datasetSnapshots")),
        feature_definitions=_items(data.get("featureDefinitions")),
        models=_items(data.get("models")),
        evaluation_reports=_items(data.get("evaluationReports")),
    )


def point_value(point: dict[str, Any]) -> float:
    text = point.get("valueText")
    if point.get("value") is None and text in _NON_FINITE:
        return _NON_FINITE[text]
    return float(point["value"])


class RunReader:
    """Read-side view of a run: ``client.get_run(ref)``; a live ``Run`` has the same methods."""

    ref: str
    _querier: Callable[[], Querier]
    _before_read: Callable[[], None]

    def metrics(self, key: str) -> list[tuple[int, float]]:
        """The series of ``key`` as (step, value) pairs in step order."""
        self._before_read()
        node = self._querier().query(METRIC_QUERY, {"ref": self.ref, "key": key})["node"]
        if node is None:
            raise NotFound(f"no run {self.ref}")
        points = sorted(node.get("metric") or [], key=lambda p: int(p["step"]))
        return [(int(p["step"]), point_value(p)) for p in points]

    def fetch(self) -> dict[str, Any]:
        """The run's node as the service returns it (name, status, times, metric keys)."""
        self._before_read()
        node = self._querier().query(RUN_QUERY, {"ref": self.ref})["node"]
        if node is None:
            raise NotFound(f"no run {self.ref}")
        return dict(node)


class RunHandle(RunReader):
    def __init__(
        self, ref: str, querier: Callable[[], Querier], before_read: Callable[[], None]
    ) -> None:
        parsed = parse_ref(ref)
        if parsed.kind is not NodeKind.RUN:
            raise BadInput(f"{ref!r} is not a run ref (run:<uuid>)", field="ref")
        self.ref = str(parsed)
        self._querier = querier
        self._before_read = before_read

    def __repr__(self) -> str:
        return f"RunHandle({self.ref!r})"
