"""GraphQL object types. Each wraps the store's node dict; fields that reach other nodes go
through the request's DataLoaders. Names here are the public contract (schema/lineage.graphql)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NewType

import strawberry
from strawberry.scalars import JSON

from lineagegraph.api.context import Context
from lineagegraph.graph.reads import MetricPoint as StoredPoint
from lineagegraph.graph.results import Direction, EdgeKind
from lineagegraph.models import ArtifactStatus, RunStatus
from lineagegraph.refs import NodeKind

if TYPE_CHECKING:
    from lineagegraph.api.deprecation import DeprecatedUpstream, Deprecation
    from lineagegraph.api.repro import ReproducibilityCheck, VerifiedLevel

Info = strawberry.Info[Context, None]

Long = NewType("Long", int)
#: The GraphQL scalar behind ``Long`` (registered in the schema's scalar_map).
LONG_SCALAR = strawberry.scalar(
    name="Long",
    serialize=int,
    parse_value=int,
    description="A 64-bit integer (sizes and row counts outgrow GraphQL's 32-bit Int).",
)
# The shared enums become GraphQL enums in place (only once the API is imported).
strawberry.enum(NodeKind)
strawberry.enum(RunStatus)
strawberry.enum(ArtifactStatus)
strawberry.enum(Direction, name="LineageDirection")
strawberry.enum(EdgeKind, name="LineageEdgeKind")

_NON_FINITE_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def value_text(value: float | None) -> str | None:
    """NaN and infinities have no JSON number: GraphQL returns them as text."""
    if value is None or math.isfinite(value):
        return None
    return "NaN" if math.isnan(value) else _NON_FINITE_TEXT[value]


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value)
    return None if value is None else float(value)


# --- the Node interface ------------------------------------------------------------------------
@strawberry.interface(description="Anything with a ref: runs, datasets and artifacts.")
class Node:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def ref(self) -> str:
        return str(self.data["ref"])

    @strawberry.field
    def kind(self) -> NodeKind:
        return NodeKind(self.data["kind"])

    @strawberry.field
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @strawberry.field
    def version(self) -> str | None:
        return self.data.get("version")

    @strawberry.field
    def created_at(self) -> datetime | None:
        return self.data.get("createdAt")


def wrap(node: dict[str, Any] | None) -> Node | None:
    """The GraphQL object for a store node dict (by its kind)."""
    if node is None:
        return None
    cls = _TYPES.get(node.get("kind", ""))
    return cls(data=node) if cls is not None else None


def wrap_all(nodes: list[dict[str, Any]]) -> list[Node]:
    return [n for n in (wrap(node) for node in nodes) if n is not None]


async def _one(info: Info, relation: str, ref: str) -> Node | None:
    found = await info.context.loaders.related(relation).load(ref)
    return wrap(found[0]) if found else None


async def _many(info: Info, relation: str, ref: str) -> list[Node]:
    return wrap_all(await info.context.loaders.related(relation).load(ref))


# --- runs ----------------------------------------------------------------------------------
@strawberry.type(description="A metric value at one step; NaN/Infinity as null value + text.")
class MetricPoint:
    step: int
    value: float | None
    value_text: str | None
    timestamp: datetime | None

    @classmethod
    def of(cls, point: StoredPoint) -> MetricPoint:
        return cls(
            step=point.step,
            value=finite_or_none(point.value),
            value_text=value_text(point.value),
            timestamp=point.timestamp,
        )


@strawberry.type(description="A training or pipeline run, with everything needed to redo it.")
class Run(Node):
    @strawberry.field
    def status(self) -> RunStatus | None:
        status = self.data.get("status")
        return (
            RunStatus(status)
            if isinstance(status, str) and status in RunStatus.__members__
            else None
        )

    @strawberry.field
    def start_time(self) -> datetime | None:
        return self.data.get("startTime")

    @strawberry.field
    def end_time(self) -> datetime | None:
        return self.data.get("endTime")

    @strawberry.field
    def error_type(self) -> str | None:
        return self.data.get("errorType")

    @strawberry.field
    def error_message(self) -> str | None:
        return self.data.get("errorMessage")

    @strawberry.field(description="Git commit, branch, remote, dirty flag, diff digest, command.")
    def code(self) -> JSON | None:
        return self.data.get("code")

    @strawberry.field(description="Python, platform, packages and their digest, image digest.")
    def environment(self) -> JSON | None:
        return self.data.get("environment")

    @strawberry.field
    def hardware(self) -> JSON | None:
        return self.data.get("hardware")

    @strawberry.field(description="What was seeded with which seed.")
    def seeds(self) -> JSON | None:
        return self.data.get("seeds")

    @strawberry.field
    def config(self) -> JSON | None:
        return self.data.get("config")

    @strawberry.field
    def data_filters(self) -> JSON | None:
        return self.data.get("dataFilters")

    @strawberry.field
    def params(self) -> JSON:
        return JSON(self.data.get("params") or {})

    @strawberry.field
    def tags(self) -> JSON:
        return JSON(self.data.get("tags") or {})

    @strawberry.field
    def user(self) -> str | None:
        return self.data.get("user")

    @strawberry.field
    def command(self) -> list[str] | None:
        return self.data.get("command")

    @strawberry.field
    def job_namespace(self) -> str | None:
        return self.data.get("jobNamespace")

    @strawberry.field
    def job_name(self) -> str | None:
        return self.data.get("jobName")

    @strawberry.field
    async def parent(self, info: Info) -> Run | None:
        found = await _one(info, "parent", self.data["ref"])
        return found if isinstance(found, Run) else None

    @strawberry.field
    async def children(self, info: Info) -> list[Run]:
        return [r for r in await _many(info, "children", self.data["ref"]) if isinstance(r, Run)]

    @strawberry.field
    async def consumed(self, info: Info) -> list[Artifact]:
        found = await _many(info, "consumed", self.data["ref"])
        return [a for a in found if isinstance(a, Artifact)]

    @strawberry.field
    async def produced(self, info: Info) -> list[Artifact]:
        found = await _many(info, "produced", self.data["ref"])
        return [a for a in found if isinstance(a, Artifact)]

    @strawberry.field
    async def metric_keys(self, info: Info) -> list[str]:
        return await info.context.loaders.metric_keys.load(self.data["ref"])

    @strawberry.field(description="One metric's series in step order.")
    async def metric(self, info: Info, key: str) -> list[MetricPoint]:
        points = await info.context.loaders.metric_series.load((self.data["ref"], key))
        return [MetricPoint.of(p) for p in points]

    # reproducibility (api/repro.py)
    @strawberry.field(
        description="The reproducibility checks that compared this run, newest first."
    )
    async def reproducibility_checks(
        self, info: Info
    ) -> list[Annotated[ReproducibilityCheck, strawberry.lazy("lineagegraph.api.repro")]]:
        from lineagegraph.api.repro import run_checks

        return await run_checks(info, self.data["ref"])

    @strawberry.field(description="The strongest level a passed check verified for this run.")
    async def highest_verified_level(
        self, info: Info
    ) -> Annotated[VerifiedLevel, strawberry.lazy("lineagegraph.api.repro")] | None:
        from lineagegraph.api.repro import run_highest_level

        return await run_highest_level(info, self.data["ref"])

    @strawberry.field(description="The runs this run re-executed (REPRODUCES edges).")
    async def reproduces(self, info: Info) -> list[Run]:
        from lineagegraph.api.repro import run_reproduces

        return await run_reproduces(info, self.data["ref"])


# --- artifacts -----------------------------------------------------------------------------
@strawberry.interface(description="An immutable, versioned thing runs consume and produce.")
class Artifact(Node):
    @strawberry.field(description="sha256:<hex> of the content, when known.")
    def digest(self) -> str | None:
        return self.data.get("digest")

    @strawberry.field
    def uri(self) -> str | None:
        return self.data.get("uri")

    @strawberry.field
    def size_bytes(self) -> Long | None:
        return self.data.get("sizeBytes")

    @strawberry.field
    def media_type(self) -> str | None:
        return self.data.get("mediaType")

    @strawberry.field
    def storage(self) -> str | None:
        return self.data.get("storage")

    @strawberry.field
    def is_reference(self) -> bool:
        return bool(self.data.get("isReference", False))

    @strawberry.field(description="PENDING until the bytes are verified; never reported available.")
    def status(self) -> ArtifactStatus:
        status = self.data.get("status")
        if isinstance(status, str) and status in ArtifactStatus.__members__:
            return ArtifactStatus(status)
        return ArtifactStatus.PENDING

    @strawberry.field
    def tags(self) -> JSON:
        return JSON(self.data.get("tags") or {})

    @strawberry.field
    def properties(self) -> JSON | None:
        return self.data.get("properties")

    @strawberry.field
    async def produced_by(self, info: Info) -> Run | None:
        found = await _one(info, "producer", self.data["ref"])
        return found if isinstance(found, Run) else None

    @strawberry.field
    async def consumed_by(self, info: Info) -> list[Run]:
        return [r for r in await _many(info, "consumers", self.data["ref"]) if isinstance(r, Run)]

    # deprecation (api/deprecation.py)
    @strawberry.field(description="Set when this artifact itself is deprecated.")
    def deprecation(
        self,
    ) -> Annotated[Deprecation, strawberry.lazy("lineagegraph.api.deprecation")] | None:
        from lineagegraph.api.deprecation import deprecation_of

        return deprecation_of(self.data)

    @strawberry.field(
        description="Deprecated artifacts anywhere upstream, nearest first, each with the path "
        "of refs from it down to this artifact."
    )
    async def deprecated_upstream(
        self, info: Info
    ) -> list[Annotated[DeprecatedUpstream, strawberry.lazy("lineagegraph.api.deprecation")]]:
        from lineagegraph.api.deprecation import deprecated_upstream_of

        return await deprecated_upstream_of(info, self.data["ref"])


@strawberry.type(description="A logical dataset; its immutable versions are snapshots.")
class Dataset(Node):
    @strawberry.field(description="Newest first.")
    async def snapshots(self, info: Info) -> list[DatasetSnapshot]:
        found = await _many(info, "snapshots", self.data["ref"])
        return [s for s in found if isinstance(s, DatasetSnapshot)]

    @strawberry.field(description="What dataset:<name> binds to: the newest non-pending snapshot.")
    async def latest_snapshot(self, info: Info) -> DatasetSnapshot | None:
        found = await _many(info, "snapshots", self.data["ref"])
        for snapshot in found:
            if isinstance(snapshot, DatasetSnapshot) and snapshot.data.get("status") != "PENDING":
                return snapshot
        return None


@strawberry.type
class DatasetSnapshot(Artifact):
    @strawberry.field
    def row_count(self) -> Long | None:
        return self.data.get("rowCount")

    @strawberry.field(name="schema")
    def schema_(self) -> JSON | None:
        return self.data.get("schema")

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        found = await _one(info, "dataset", self.data["ref"])
        return found if isinstance(found, Dataset) else None

    @strawberry.field
    async def derived_features(self, info: Info) -> list[FeatureDefinition]:
        found = await _many(info, "derived", self.data["ref"])
        return [f for f in found if isinstance(f, FeatureDefinition)]


@strawberry.type
class FeatureDefinition(Artifact):
    @strawberry.field
    def code_digest(self) -> str | None:
        return self.data.get("codeDigest")

    @strawberry.field
    def expression(self) -> str | None:
        return self.data.get("expression")

    @strawberry.field(description="The snapshots and features it is derived from.")
    async def sources(self, info: Info) -> list[Artifact]:
        found = await _many(info, "sources", self.data["ref"])
        return [a for a in found if isinstance(a, Artifact)]

    @strawberry.field
    async def derived_features(self, info: Info) -> list[FeatureDefinition]:
        found = await _many(info, "derived", self.data["ref"])
        return [f for f in found if isinstance(f, FeatureDefinition)]


@strawberry.type
class Model(Artifact):
    @strawberry.field
    def framework(self) -> str | None:
        return self.data.get("framework")

    @strawberry.field
    async def evaluations(self, info: Info) -> list[EvaluationReport]:
        found = await _many(info, "reports", self.data["ref"])
        return [r for r in found if isinstance(r, EvaluationReport)]


@strawberry.type
class ReportMetric:
    key: str
    value: float | None
    value_text: str | None


@strawberry.type(description="A metric on one slice with its confidence interval.")
class IntervalMetric:
    key: str
    value: float | None
    low: float | None
    high: float | None
    confidence: float | None


@strawberry.type
class ReportSlice:
    slice: str
    metrics: list[IntervalMetric]


@strawberry.type
class EvaluationReport(Artifact):
    @strawberry.field
    async def model(self, info: Info) -> Model | None:
        found = await _one(info, "model", self.data["ref"])
        return found if isinstance(found, Model) else None

    @strawberry.field(description="Overall metrics.")
    def metrics(self) -> list[ReportMetric]:
        metrics: dict[str, float] = self.data.get("metrics") or {}
        return [
            ReportMetric(key=k, value=finite_or_none(v), value_text=value_text(v))
            for k, v in metrics.items()
        ]

    @strawberry.field(description="Per-slice metrics with confidence intervals.")
    def slices(self) -> list[ReportSlice]:
        slices: dict[str, dict[str, dict[str, Any]]] = self.data.get("slices") or {}
        return [
            ReportSlice(
                slice=name,
                metrics=[
                    IntervalMetric(
                        key=key,
                        value=finite_or_none(_number(iv.get("value"))),
                        low=finite_or_none(_number(iv.get("low"))),
                        high=finite_or_none(_number(iv.get("high"))),
                        confidence=_number(iv.get("confidence")),
                    )
                    for key, iv in metrics.items()
                ],
            )
            for name, metrics in slices.items()
        ]


_TYPES: dict[str, type[Node]] = {
    NodeKind.RUN.value: Run,
    NodeKind.DATASET.value: Dataset,
    NodeKind.DATASET_SNAPSHOT.value: DatasetSnapshot,
    NodeKind.FEATURE_DEFINITION.value: FeatureDefinition,
    NodeKind.MODEL.value: Model,
    NodeKind.EVALUATION_REPORT.value: EvaluationReport,
}


# --- listings ------------------------------------------------------------------------------
@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class RunConnection:
    nodes: list[Run]
    page_info: PageInfo


@strawberry.type(description="Artifacts and datasets, newest first.")
class NodeConnection:
    nodes: list[Node]
    page_info: PageInfo


# --- lineage and impact ----------------------------------------------------------------------
# The resolvers serve graph/results.py's LineageNode and LineageEdge objects as these types, not
# copies (fields are read as attributes; the names match): copying cost ~1.5 us per item, ~0.8 ms
# for a 500-item impact on the event loop. Keep the attribute names in step with results.py.
@strawberry.type
class LineageNode:
    ref: str
    kind: NodeKind
    name: str
    version: str | None
    depth: int


@strawberry.type(description="A lineage edge from upstream to downstream.")
class LineageEdge:
    from_ref: str = strawberry.field(name="from")
    to_ref: str = strawberry.field(name="to")
    kind: EdgeKind


@strawberry.type
class LineageGraph:
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool


@strawberry.type
class ImpactItem:
    ref: str
    kind: NodeKind
    name: str
    version: str | None
    depth: int


@strawberry.type(description="Everything downstream, grouped by kind, nearest first.")
class Impact:
    runs: list[ImpactItem]
    dataset_snapshots: list[ImpactItem]
    feature_definitions: list[ImpactItem]
    models: list[ImpactItem]
    evaluation_reports: list[ImpactItem]
    total: int
    truncated: bool


# --- ingest ----------------------------------------------------------------------------------
@strawberry.type
class EventResult:
    event_id: str
    ok: bool
    ref: str | None
    code: str | None
    message: str | None
    field: str | None
    warning: str | None = strawberry.field(
        default=None, description="Accepted, but worth telling (a deprecated artifact consumed)."
    )


@strawberry.type
class IngestResult:
    accepted: int
    results: list[EventResult]


@strawberry.type(description="A run and the artifact it consumed or produced.")
class ArtifactLink:
    run: Run
    artifact: Artifact
