"""Planning a batch of ingest events: which events apply, and the rows of every write statement.

Pure: it works on what the store read from the graph beforehand (``GraphFacts``) and decides in
event order, as if each event were applied one after the other, so a later event sees what an
earlier one of the same batch created. A rejected event leaves no trace (its checks all run before
it changes the in-batch view) and the events after it still apply. Every lineage rule is enforced
here and only here:

- a registration of an existing ref must carry the same digest (and, for features and reports,
  the same sources and model): otherwise IMMUTABLE_CONFLICT;
- an artifact has at most one producing run (CONFLICT);
- a new lineage edge u->v is refused when v already reaches u (CYCLE);
- refs must exist (NOT_FOUND) and be of a kind the event allows (BAD_INPUT);
- an artifact registered without a version gets the next number of its kind and name, and a
  replay of that event gets the same number again;
- a new consume of a deprecated artifact is refused (DEPRECATED) when the deprecation policy is
  ``block``, and accepted with a warning in its result otherwise; a replay of a consume that is
  stored already is neither.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from lineagegraph.errors import ErrorCode
from lineagegraph.graph.records import dumps, epoch_millis
from lineagegraph.graph.results import EventResult
from lineagegraph.models import (
    ArtifactConsumed,
    ArtifactProduced,
    ArtifactRegistered,
    ArtifactStatus,
    IngestEvent,
    MetricsLogged,
    ParamsLogged,
    RunFinished,
    RunStarted,
    RunTagged,
)
from lineagegraph.refs import (
    ARTIFACT_KINDS,
    MAX_NAME_LENGTH,
    NodeKind,
    Ref,
    artifact_ref,
)
from lineagegraph.refs import parse_ref as _parse_ref
from lineagegraph.refs import run_ref as _run_ref

Edge = tuple[str, str]  # (upstream ref, downstream ref) in flow direction
_FieldEdge = tuple[str, str, str]  # an edge and the event field that asked for it
#: Event types whose checks need the lineage lock (see cypher/ingest/lock.cypher).
LOCKING_TYPES = frozenset(
    {"run_started", "artifact_registered", "artifact_consumed", "artifact_produced"}
)
_SOURCE_KINDS = frozenset({NodeKind.DATASET_SNAPSHOT, NodeKind.FEATURE_DEFINITION})
# A batch names the same refs many times (needs, then every event that uses them): parse each
# once. Both are pure; a Ref is frozen; a malformed ref raises every time (not cached).
parse_ref = lru_cache(maxsize=1 << 16)(_parse_ref)
run_ref = lru_cache(maxsize=1 << 16)(_run_ref)


@lru_cache(maxsize=1 << 16)
def _canonical(text: str) -> tuple[str, bool]:
    """A ref's canonical text and whether it names a dataset (cached like parse_ref)."""
    ref = parse_ref(text)
    return str(ref), ref.kind is NodeKind.DATASET


@dataclass(frozen=True, slots=True)
class KnownNode:
    """What the planner knows of a node (from the graph or from an earlier event of the batch)."""

    ref: str
    kind: NodeKind
    digest: str | None = None
    status: str | None = None
    producer: str | None = None
    sources: frozenset[str] = frozenset()
    evaluates: str | None = None
    parent: str | None = None


@dataclass
class GraphFacts:
    """What the store read before planning."""

    nodes: dict[str, KnownNode] = field(default_factory=dict)
    #: dataset ref -> its latest available snapshot (None: none yet); absent: no such dataset
    latest: dict[str, str | None] = field(default_factory=dict)
    highest_version: dict[tuple[str, str], int] = field(default_factory=dict)
    version_by_event: dict[str, str] = field(default_factory=dict)
    consume_binding: dict[str, str] = field(default_factory=dict)
    existing_edges: set[Edge] = field(default_factory=set)
    #: head -> tails it reaches in the graph (only for heads and tails of new edges)
    reach: dict[str, set[str]] = field(default_factory=dict)
    cycles_known: bool = False
    #: deprecated artifact ref -> a line naming it, the reason, sunset and replacement
    deprecated: dict[str, str] = field(default_factory=dict)


@dataclass
class Needs:
    """What to read from the graph before planning a batch."""

    refs: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    versions: list[dict[str, str]] = field(default_factory=list)
    bindings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Plan:
    results: list[EventResult] = field(default_factory=list)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    parents: list[dict[str, str]] = field(default_factory=list)
    finishes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    registrations: dict[NodeKind, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    consumed: dict[Edge, dict[str, Any]] = field(default_factory=dict)  # (run, artifact)
    produced: set[Edge] = field(default_factory=set)  # (run, artifact)
    derived: set[Edge] = field(default_factory=set)  # (feature, source)
    evaluates: set[Edge] = field(default_factory=set)  # (report, model)
    metrics: dict[tuple[str, str], dict[int, tuple[float, int]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    flow_edges: list[Edge] = field(default_factory=list)  # every lineage edge written
    #: every lineage edge a check looked at (written, already known, or refused): the edges
    #: whose stored facts (exists? what reaches what?) the plan's decisions depend on
    considered: set[Edge] = field(default_factory=set)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.ok)


class _Reject(Exception):
    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def needs_locking(events: Sequence[IngestEvent]) -> bool:
    return any(e.type in LOCKING_TYPES for e in events)


def needs_of(events: Sequence[IngestEvent]) -> Needs:
    """Every ref, dataset and version the planner will ask about."""
    needs = Needs()

    refs = needs.refs

    def add(text: str | None) -> None:
        if text is None:
            return
        canonical, is_dataset = _canonical(text)
        if is_dataset:
            needs.datasets.add(canonical)
        refs.add(canonical)

    for e in events:
        if isinstance(e, RunStarted):
            refs.add(run_ref(e.run_id))  # a run ref is canonical already
            if e.parent_run_id:
                refs.add(run_ref(e.parent_run_id))
        elif isinstance(e, RunFinished | RunTagged | ParamsLogged | MetricsLogged):
            refs.add(run_ref(e.run_id))
        elif isinstance(e, ArtifactConsumed | ArtifactProduced):
            refs.add(run_ref(e.run_id))
            add(e.ref)
            if isinstance(e, ArtifactConsumed) and _canonical(e.ref)[1]:
                needs.bindings.append({"run": run_ref(e.run_id), "eventId": e.event_id})
        elif isinstance(e, ArtifactRegistered):
            spec = e.artifact
            add(run_ref(e.produced_by) if e.produced_by else None)
            for source in spec.sources:
                add(source)
            add(spec.evaluates)
            if spec.kind is NodeKind.DATASET_SNAPSHOT:
                needs.datasets.add(str(Ref(NodeKind.DATASET, spec.name)))
            if spec.version is None:
                needs.versions.append(
                    {"kind": spec.kind.value, "name": spec.name, "eventId": e.event_id}
                )
            else:
                add(artifact_ref(spec.kind, spec.name, spec.version))
    return needs


def plan_batch(
    events: Sequence[IngestEvent],
    facts: GraphFacts,
    now: datetime,
    *,
    block_deprecated: bool = False,
) -> Plan:
    return _Planner(facts, now, block_deprecated).run(events)


class _Planner:
    def __init__(self, facts: GraphFacts, now: datetime, block_deprecated: bool = False) -> None:
        self.facts = facts
        self.now = now
        self.block_deprecated = block_deprecated
        self.warnings: dict[str, str] = {}  # event id -> warning for its (accepted) result
        self.nodes = dict(facts.nodes)
        self.latest = dict(facts.latest)
        self.highest = dict(facts.highest_version)
        self.version_by_event = dict(facts.version_by_event)
        self.bindings = dict(facts.consume_binding)
        self.adjacent: dict[str, set[str]] = defaultdict(set)
        for head, tails in facts.reach.items():
            self.adjacent[head] |= tails
        self.written: set[Edge] = set()
        self.plan = Plan()

    # --- driver ------------------------------------------------------------------------------
    def run(self, events: Sequence[IngestEvent]) -> Plan:
        handlers = {
            "run_started": self._run_started,
            "run_finished": self._run_finished,
            "run_tagged": self._run_tagged,
            "params_logged": self._params_logged,
            "metrics_logged": self._metrics_logged,
            "artifact_registered": self._artifact_registered,
            "artifact_consumed": self._artifact_consumed,
            "artifact_produced": self._artifact_produced,
        }
        for index, event in enumerate(events):
            try:
                ref = handlers[event.type](event, index)  # type: ignore[operator]
            except _Reject as rejected:
                self.plan.results.append(
                    EventResult(
                        event.event_id,
                        False,
                        code=rejected.code.value,
                        message=rejected.message,
                        field=rejected.field,
                    )
                )
            else:
                warning = self.warnings.pop(event.event_id, None)
                self.plan.results.append(
                    EventResult(event.event_id, True, ref=ref, warning=warning)
                )
        return self.plan

    # --- lookups -----------------------------------------------------------------------------
    def _known_run(self, run_id: uuid.UUID, field: str = "run_id") -> str:
        ref = run_ref(run_id)
        if ref not in self.nodes:
            raise _Reject(ErrorCode.NOT_FOUND, f"run {ref} does not exist", field)
        return ref

    def _artifact(self, text: str, field: str, allowed: frozenset[NodeKind]) -> KnownNode:
        """An existing artifact by ref; a dataset:<name> ref binds to the latest snapshot."""
        ref = parse_ref(text, field)
        if ref.kind is NodeKind.DATASET and NodeKind.DATASET_SNAPSHOT in allowed:
            return self._latest_snapshot(str(ref), field)
        if ref.kind not in allowed:
            kinds = ", ".join(sorted(k.value for k in allowed))
            raise _Reject(
                ErrorCode.BAD_INPUT, f"{text!r} is a {ref.kind.value}; expected {kinds}", field
            )
        node = self.nodes.get(_canonical(text)[0])
        if node is None:
            raise _Reject(ErrorCode.NOT_FOUND, f"{ref} does not exist", field)
        return node

    def _latest_snapshot(self, dataset: str, field: str) -> KnownNode:
        if dataset not in self.latest:
            raise _Reject(ErrorCode.NOT_FOUND, f"{dataset} does not exist", field)
        latest = self.latest[dataset]
        if latest is None or latest not in self.nodes:
            raise _Reject(ErrorCode.NOT_FOUND, f"{dataset} has no available snapshot", field)
        return self.nodes[latest]

    # --- cycle checks ------------------------------------------------------------------------
    def _reaches(self, start: str, goal: str, extra: dict[str, set[str]]) -> bool:
        seen = {start}
        frontier = [start]
        while frontier:
            node = frontier.pop()
            for nxt in self.adjacent.get(node, set()) | extra.get(node, set()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        return False

    def _check_edges(self, edges: Iterable[_FieldEdge]) -> list[Edge]:
        """The edges that are new; CYCLE when one of them would close a cycle."""
        new: list[Edge] = []
        tentative: dict[str, set[str]] = defaultdict(set)
        for upstream, downstream, where in edges:
            edge = (upstream, downstream)
            self.plan.considered.add(edge)
            if edge in self.facts.existing_edges or edge in self.written or edge in new:
                continue
            if self.facts.cycles_known and (
                upstream == downstream or self._reaches(downstream, upstream, tentative)
            ):
                raise _Reject(
                    ErrorCode.CYCLE,
                    f"{downstream} is upstream of {upstream} already: "
                    f"linking {upstream} -> {downstream} would close a cycle",
                    where,
                )
            tentative[upstream].add(downstream)
            new.append(edge)
        return new

    def _commit_edges(self, edges: Iterable[Edge]) -> None:
        for upstream, downstream in edges:
            self.adjacent[upstream].add(downstream)
            self.written.add((upstream, downstream))
            self.plan.flow_edges.append((upstream, downstream))

    def _set_producer(self, artifact: KnownNode, run: str, field: str) -> None:
        if artifact.producer is not None and artifact.producer != run:
            raise _Reject(
                ErrorCode.CONFLICT,
                f"{artifact.ref} is already produced by {artifact.producer}; "
                "an artifact has at most one producing run",
                field,
            )

    # --- runs --------------------------------------------------------------------------------
    def _run_started(self, e: RunStarted, index: int) -> str:
        ref = run_ref(e.run_id)
        if not e.name.strip() or len(e.name) > MAX_NAME_LENGTH:
            raise _Reject(
                ErrorCode.BAD_INPUT, f"run name must be 1-{MAX_NAME_LENGTH} characters", "name"
            )
        parent = None
        if e.parent_run_id is not None:
            if e.parent_run_id == e.run_id:
                raise _Reject(
                    ErrorCode.BAD_INPUT, "a run cannot be its own parent", "parent_run_id"
                )
            parent = self._known_run(e.parent_run_id, "parent_run_id")
        existing = self.nodes.get(ref)
        if existing is not None and parent is not None and existing.parent != parent:
            raise _Reject(
                ErrorCode.CONFLICT,
                f"{ref} exists with parent {existing.parent or 'none'}; a run's parent is "
                "fixed when it starts",
                "parent_run_id",
            )
        if existing is None:
            self.nodes[ref] = KnownNode(ref, NodeKind.RUN, parent=parent)
            if parent is not None:
                self.plan.parents.append({"child": ref, "parent": parent})
        self._merge_run_row(ref, e, index)
        if e.tags:
            self.plan.tags.setdefault(ref, {}).update(e.tags)
        return ref

    def _merge_run_row(self, ref: str, e: RunStarted, index: int) -> None:
        p = e.provenance
        code = p.code
        row: dict[str, Any] = {
            "ref": ref,
            "name": e.name,
            "time": e.time,
            "createdAt": self._created_at(index),
            "codeJson": dumps(code.model_dump(mode="json")) if code else None,
            "environmentJson": dumps(p.environment.model_dump(mode="json"))
            if p.environment
            else None,
            "hardwareJson": dumps(p.hardware.model_dump(mode="json")) if p.hardware else None,
            "seedsJson": dumps(p.seeds) if p.seeds is not None else None,
            "configJson": dumps(p.config) if p.config is not None else None,
            "dataFiltersJson": dumps(p.data_filters) if p.data_filters is not None else None,
            "user": p.user,
            "command": code.command if code else None,
            "codeCommit": code.commit if code else None,
            "codeDirty": code.dirty if code else None,
            # flat copy: blob GC must see the stored diff as referenced (blobs.referenced_digests)
            "codeDiffDigest": code.diff_ref if code else None,
            "jobNamespace": e.job_namespace,
            "jobName": e.job_name,
        }
        before = self.plan.runs.get(ref)
        if before is not None:
            row["time"] = min(before["time"], row["time"])
            row["createdAt"] = before["createdAt"]
            row = {**before, **{k: v for k, v in row.items() if v is not None}}
        self.plan.runs[ref] = row

    def _run_finished(self, e: RunFinished, index: int) -> str:
        ref = self._known_run(e.run_id)
        row = {
            "ref": ref,
            "status": e.status.value,
            "time": e.time,
            "errorType": e.error_type,
            "errorMessage": e.error_message,
        }
        before = self.plan.finishes.get(ref)
        if before is None or e.time >= before["time"]:
            self.plan.finishes[ref] = row
        return ref

    def _run_tagged(self, e: RunTagged, index: int) -> str:
        ref = self._known_run(e.run_id)
        self.plan.tags.setdefault(ref, {}).update(e.tags)
        return ref

    def _params_logged(self, e: ParamsLogged, index: int) -> str:
        ref = self._known_run(e.run_id)
        self.plan.params.setdefault(ref, {}).update(e.params)
        return ref

    def _metrics_logged(self, e: MetricsLogged, index: int) -> str:
        ref = self._known_run(e.run_id)
        for key in e.values:
            if not key or len(key) > 250:
                raise _Reject(ErrorCode.BAD_INPUT, "metric keys must be 1-250 characters", "values")
        millis = epoch_millis(e.time)
        for key, value in e.values.items():
            self.plan.metrics[(ref, key)][e.step] = (value, millis)
        return ref

    # --- artifacts ---------------------------------------------------------------------------
    def _version(self, e: ArtifactRegistered) -> str:
        spec = e.artifact
        if spec.version is not None:
            return spec.version
        mine = self.version_by_event.get(e.event_id)
        if mine is not None:
            return mine
        key = (spec.kind.value, spec.name)
        number = self.highest.get(key, 0) + 1
        return str(number)

    def _artifact_registered(self, e: ArtifactRegistered, index: int) -> str:
        spec = e.artifact
        version = self._version(e)
        ref = artifact_ref(spec.kind, spec.name, version)
        producer = self._known_run(e.produced_by, "produced_by") if e.produced_by else None
        if spec.sources and spec.kind is not NodeKind.FEATURE_DEFINITION:
            raise _Reject(
                ErrorCode.BAD_INPUT, "only feature definitions have sources", "artifact.sources"
            )
        if spec.evaluates and spec.kind is not NodeKind.EVALUATION_REPORT:
            raise _Reject(
                ErrorCode.BAD_INPUT,
                "only evaluation reports evaluate a model",
                "artifact.evaluates",
            )
        sources = [self._artifact(s, "artifact.sources", _SOURCE_KINDS).ref for s in spec.sources]
        model = (
            self._artifact(spec.evaluates, "artifact.evaluates", frozenset({NodeKind.MODEL})).ref
            if spec.evaluates
            else None
        )
        existing = self.nodes.get(ref)
        if existing is not None:
            self._check_same(existing, e, frozenset(sources), model)
        edges: list[_FieldEdge] = [(source, ref, "artifact.sources") for source in sources]
        if model is not None:
            edges.append((model, ref, "artifact.evaluates"))
        if producer is not None:
            if existing is not None:
                self._set_producer(existing, producer, "produced_by")
            edges.append((producer, ref, "produced_by"))
        new_edges = self._check_edges(edges)
        # --- every check passed: apply ---
        self._commit_edges(new_edges)
        if producer is not None:
            self.plan.produced.add((producer, ref))
        for source in sources:
            self.plan.derived.add((ref, source))
        if model is not None:
            self.plan.evaluates.add((ref, model))
        promote = (
            existing is not None
            and existing.status == ArtifactStatus.PENDING
            and spec.status is ArtifactStatus.AVAILABLE
        )
        if existing is None or promote:
            self.plan.registrations[spec.kind].append(self._registration_row(e, version, index))
        status = spec.status.value if existing is None or promote else existing.status
        self.nodes[ref] = KnownNode(
            ref,
            spec.kind,
            digest=spec.digest if existing is None else existing.digest,
            status=status,
            producer=producer or (existing.producer if existing else None),
            sources=frozenset(sources),
            evaluates=model,
        )
        if spec.version is None:
            self.version_by_event[e.event_id] = version
            key = (spec.kind.value, spec.name)
            self.highest[key] = max(self.highest.get(key, 0), int(version))
        elif version.isdigit():
            key = (spec.kind.value, spec.name)
            self.highest[key] = max(self.highest.get(key, 0), int(version))
        if spec.kind is NodeKind.DATASET_SNAPSHOT:
            dataset = str(Ref(NodeKind.DATASET, spec.name))
            if (existing is None and status != ArtifactStatus.PENDING) or promote:
                self.latest[dataset] = ref
            else:
                self.latest.setdefault(dataset, None)
        return ref

    def _check_same(
        self, existing: KnownNode, e: ArtifactRegistered, sources: frozenset[str], model: str | None
    ) -> None:
        spec = e.artifact
        if existing.kind is not spec.kind:
            raise _Reject(
                ErrorCode.BAD_INPUT, f"{existing.ref} is a {existing.kind.value}", "artifact"
            )
        if existing.digest != spec.digest:
            raise _Reject(
                ErrorCode.IMMUTABLE_CONFLICT,
                f"{existing.ref} is registered with digest {existing.digest or 'none'}, not "
                f"{spec.digest or 'none'}: artifacts are immutable, register a new version",
                "artifact.digest",
            )
        if spec.kind is NodeKind.FEATURE_DEFINITION and existing.sources != sources:
            raise _Reject(
                ErrorCode.IMMUTABLE_CONFLICT,
                f"{existing.ref} is derived from {sorted(existing.sources)}, not {sorted(sources)}",
                "artifact.sources",
            )
        if spec.kind is NodeKind.EVALUATION_REPORT and existing.evaluates != model:
            raise _Reject(
                ErrorCode.IMMUTABLE_CONFLICT,
                f"{existing.ref} evaluates {existing.evaluates or 'no model'}, not "
                f"{model or 'no model'}",
                "artifact.evaluates",
            )

    def _registration_row(self, e: ArtifactRegistered, version: str, index: int) -> dict[str, Any]:
        spec = e.artifact
        props: dict[str, Any] = {
            "digest": spec.digest,
            "uri": spec.uri,
            "sizeBytes": spec.size_bytes,
            "mediaType": spec.media_type,
            "storage": spec.storage,
            "isReference": spec.is_reference,
            "status": spec.status.value,
            "registeredBy": e.event_id,
            "tagKeys": list(spec.tags),
            "tagValues": list(spec.tags.values()),
            "propertiesJson": dumps(spec.properties) if spec.properties else None,
        }
        if spec.kind is NodeKind.DATASET_SNAPSHOT:
            props["rowCount"] = spec.row_count
            props["schemaJson"] = dumps(spec.schema_) if spec.schema_ is not None else None
        elif spec.kind is NodeKind.FEATURE_DEFINITION:
            props["codeDigest"] = spec.code_digest
            props["expression"] = spec.expression
        elif spec.kind is NodeKind.MODEL:
            props["framework"] = spec.framework
        elif spec.kind is NodeKind.EVALUATION_REPORT:
            props["reportMetricKeys"] = list(spec.metrics)
            props["reportMetricValues"] = list(spec.metrics.values())
            slices = {
                name: {key: iv.model_dump(mode="json") for key, iv in metrics.items()}
                for name, metrics in spec.slices.items()
            }
            props["slicesJson"] = dumps(slices) if slices else None
        return {
            "ref": artifact_ref(spec.kind, spec.name, version),
            "name": spec.name,
            "version": version,
            "createdAt": self._created_at(index),
            "datasetRef": str(Ref(NodeKind.DATASET, spec.name)),
            "props": {k: v for k, v in props.items() if v is not None},
        }

    def _artifact_consumed(self, e: ArtifactConsumed, index: int) -> str:
        run = self._known_run(e.run_id)
        by_name = parse_ref(e.ref, "ref").kind is NodeKind.DATASET
        bound = self.bindings.get(e.event_id) if by_name else None
        if bound is not None and bound in self.nodes:
            artifact = self.nodes[bound]
        else:
            artifact = self._artifact(e.ref, "ref", ARTIFACT_KINDS)
        new_edges = self._check_edges([(artifact.ref, run, "ref")])
        self._check_deprecated(e.event_id, artifact.ref, bool(new_edges))
        self._commit_edges(new_edges)
        row = self.plan.consumed.setdefault(
            (run, artifact.ref),
            {"run": run, "ref": artifact.ref, "time": e.time, "eventIds": []},
        )
        if by_name:
            row["eventIds"].append(e.event_id)
            self.bindings[e.event_id] = artifact.ref
        return artifact.ref

    def _check_deprecated(self, event_id: str, ref: str, new_edge: bool) -> None:
        """The consume rule. Decided once the stored edges are known (a replay of a stored
        consume is neither refused nor warned about)."""
        message = self.facts.deprecated.get(ref)
        if message is None or not new_edge or not self.facts.cycles_known:
            return
        if self.block_deprecated:
            raise _Reject(
                ErrorCode.DEPRECATED,
                f"consume refused: {message} (the service's deprecation_policy is block)",
                "ref",
            )
        self.warnings[event_id] = f"consumed a deprecated artifact: {message}"

    def _artifact_produced(self, e: ArtifactProduced, index: int) -> str:
        run = self._known_run(e.run_id)
        ref = parse_ref(e.ref, "ref")
        if ref.kind is NodeKind.DATASET:
            raise _Reject(
                ErrorCode.BAD_INPUT,
                f"a run produces a specific snapshot: dataset:{ref.name}@<version>",
                "ref",
            )
        artifact = self._artifact(e.ref, "ref", ARTIFACT_KINDS)
        self._set_producer(artifact, run, "ref")
        new_edges = self._check_edges([(run, artifact.ref, "ref")])
        self._commit_edges(new_edges)
        self.plan.produced.add((run, artifact.ref))
        self.nodes[artifact.ref] = KnownNode(
            artifact.ref,
            artifact.kind,
            digest=artifact.digest,
            status=artifact.status,
            producer=run,
            sources=artifact.sources,
            evaluates=artifact.evaluates,
        )
        return artifact.ref

    def _created_at(self, index: int) -> datetime:
        # Distinct, ordered creation times within a batch: "latest snapshot" stays well defined.
        return self.now + timedelta(microseconds=index)
