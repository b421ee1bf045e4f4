"""Writes OpenLineage plans (openlineage/mapping.py) into the shared graph, one transaction each.

The nodes and edges are the shared ones (Run, Dataset, DatasetSnapshot; CONSUMED, PRODUCED,
SNAPSHOT_OF, CHILD_OF, and the FLOWS_TO mirror of every lineage edge, schema/MODEL.md), so lineage
and impact traverse OpenLineage jobs and SDK runs alike. What only OpenLineage needs lives in
``ol*`` properties and in cypher/openlineage/: the facets as sent, by-time input binding,
placeholder snapshots. Every step is idempotent and independent of arrival order (see
openlineage/merge.py and schema/OPENLINEAGE.md); a rule broken raises inside the transaction, so
nothing of the event is stored.

Facets of a snapshot: its own (sent with the events that wrote or named it) plus what each reader
saw, kept on the reader's CONSUMED edge so that they move with it when a late event rebinds it.
``olFacetsJson`` is their union, recomputed when a reader leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import neo4j

from lineagegraph.errors import Conflict, CycleError
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.openlineage_props import (
    dataset_props,
    merged_tags,
    own_facet_props,
    run_props,
    snapshot_props,
)
from lineagegraph.models import ArtifactStatus, RunStatus
from lineagegraph.openlineage import naming
from lineagegraph.openlineage.mapping import (
    DatasetUse,
    LineagePlan,
    RunChange,
    derive_run_fields,
    utc,
)
from lineagegraph.openlineage.merge import FacetSet, RunState

JsonDict = dict[str, Any]
AVAILABLE, PENDING = ArtifactStatus.AVAILABLE.value, ArtifactStatus.PENDING.value


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """Refs of what the event touched, for the 201 response."""

    run: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)

    def to_json(self) -> JsonDict:
        return {
            "run": self.run,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "datasets": self.datasets,
        }


@dataclass(slots=True)
class _Binding:
    use: DatasetUse | None  # None: an existing input of the run that this event does not name
    binding: str  # "version" or "time"
    edge: FacetSet  # what the run saw of the snapshot


@dataclass(frozen=True, slots=True)
class _HeldRun:
    state: RunState  # merged with the event
    start_time: datetime | None  # before the event
    inputs: dict[str, FacetSet]  # snapshot ref -> what the run saw of it, before the event


def _native(value: Any) -> datetime | None:
    if value is None:
        return None
    native = value.to_native() if hasattr(value, "to_native") else value
    assert isinstance(native, datetime)
    return utc(native)  # read back as [UTC]: compared with offset times, it would sort after


def _status(value: object) -> RunStatus | None:
    return RunStatus(value) if isinstance(value, str) and value in set(RunStatus) else None


def _facets(record: Any, prefix: str = "") -> FacetSet:
    name = f"{prefix}facets" if not prefix else f"{prefix}Facets"
    return FacetSet.from_json(record[name], record[f"{name[:-1]}Times"])


def _snapshot_row(use: DatasetUse, ref: str, version: str, origin: str, status: str) -> JsonDict:
    return {
        "datasetRef": use.dataset_ref,
        "name": use.name,
        "namespace": use.namespace,
        "sourceName": use.source_name,
        "ref": ref,
        "version": version,
        "origin": origin,
        "status": status,
    }


def names_versions(plan: LineagePlan) -> bool:
    return any(use.version is not None for use in (*plan.inputs, *plan.outputs, *plan.datasets))


class OpenLineageStore:
    def __init__(self, driver: neo4j.Driver, database: str, catalog: Catalog) -> None:
        self._driver = driver
        self._database = database
        self._catalog = catalog

    def apply(self, plan: LineagePlan) -> AppliedEvent:
        now = datetime.now(UTC)
        with self._driver.session(database=self._database) as session:
            if plan.run is None:
                return session.execute_write(self._apply_datasets, plan, now)
            return session.execute_write(self._apply_run, plan, plan.run, now)

    # --- helpers ----------------------------------------------------------------------------
    def _run(self, tx: neo4j.ManagedTransaction, key: str, **params: Any) -> list[neo4j.Record]:
        return list(tx.run(self._catalog[key].text, params))

    def _ol(self, tx: neo4j.ManagedTransaction, key: str, **params: Any) -> list[neo4j.Record]:
        return self._run(tx, f"openlineage.{key}", **params)

    def _lineage_lock(self, tx: neo4j.ManagedTransaction, plan: LineagePlan) -> None:
        # A named version may also be registered through the SDK: check it under the store's
        # lineage lock, taken first as the store does, so locks are always taken in one order.
        if names_versions(plan):
            self._run(tx, "ingest.lock")

    def _closes_cycle(
        self, tx: neo4j.ManagedTransaction, heads: list[str], tails: list[str]
    ) -> list[tuple[str, str]]:
        """Pairs (head, tail) where head already reaches tail: a new edge tail->head loops."""
        if not heads or not tails:
            return []
        rows = self._run(tx, "ingest.reach", heads=sorted(heads), tails=sorted(tails))
        return sorted((row["head"], row["tail"]) for row in rows)

    def _lock_snapshots(
        self, tx: neo4j.ManagedTransaction, rows: list[JsonDict], now: datetime
    ) -> dict[str, neo4j.Record]:
        """Open (create if new) and lock snapshots; rows sorted so locks come in one order."""
        if not rows:
            return {}
        ordered = sorted(rows, key=lambda row: str(row["ref"]))
        return {r["ref"]: r for r in self._ol(tx, "lock_snapshots", rows=ordered, now=now)}

    def _set_snapshots(self, tx: neo4j.ManagedTransaction, rows: list[JsonDict]) -> None:
        if rows:
            self._ol(tx, "set_snapshot_props", rows=rows)

    def _readers_left(self, tx: neo4j.ManagedTransaction, refs: set[str]) -> None:
        """Readers moved off these snapshots: drop emptied placeholders, recompute the rest."""
        if not refs:
            return
        dropped = {r["dropped"] for r in self._ol(tx, "drop_empty_placeholders", refs=sorted(refs))}
        rows = []
        for record in self._ol(tx, "facet_sources", refs=sorted(refs - dropped)):
            facets = _facets(record, "own")
            for seen in record["seen"]:
                if seen["facets"] is not None:
                    facets = facets.combined(FacetSet.from_json(seen["facets"], seen["facetTimes"]))
            rows.append({"ref": record["ref"], "props": snapshot_props(facets)})
        self._set_snapshots(tx, rows)

    # --- a RunEvent -------------------------------------------------------------------------
    def _apply_run(
        self, tx: neo4j.ManagedTransaction, plan: LineagePlan, change: RunChange, now: datetime
    ) -> AppliedEvent:
        self._lineage_lock(tx, plan)
        held = self._merge_run(tx, change, now)
        state = held.state
        outputs = self._write_outputs(tx, plan, change, state.completed_at, now)
        assert state.start_time is not None
        inputs: list[str] = []
        # Without inputs in the event, what the run reads moves only when its start moved.
        if plan.inputs or (held.inputs and state.start_time != held.start_time):
            inputs = self._write_inputs(tx, plan, change, state.start_time, held.inputs, now)
        return AppliedEvent(run=change.ref, inputs=inputs, outputs=outputs)

    def _merge_run(
        self, tx: neo4j.ManagedTransaction, change: RunChange, now: datetime
    ) -> _HeldRun:
        (held,) = self._ol(tx, "lock_run", ref=change.ref, name=change.name, now=now)
        start_time = _native(held["startTime"])
        state = RunState(
            status=_status(held["status"]),
            start_time=start_time,
            end_time=_native(held["endTime"]),
            completed_at=_native(held["completedAt"]),
            job_namespace=held["jobNamespace"],
            job_name=held["jobName"],
            job_time=held["jobTime"],
            run_facets=_facets(held, "run"),
            job_facets=_facets(held, "job"),
            has_events=held["hasEvents"],
        ).merged(change)
        parent = None
        if change.parent is not None:
            parent = {
                "ref": change.parent.ref,
                "jobNamespace": change.parent.job_namespace,
                "jobName": change.parent.job_name,
                "status": RunStatus.RUNNING.value,
            }
        derived = derive_run_fields(state.run_facets.facets, state.job_facets.facets).tags
        tags = merged_tags(held["tagKeys"], held["tagValues"], held["olTagKeys"], derived)
        props = run_props(state, tags)
        self._ol(tx, "upsert_run", ref=change.ref, props=props, parent=parent, now=now)
        inputs = {
            str(i["ref"]): FacetSet.from_json(i["facets"], i["facetTimes"]) for i in held["inputs"]
        }
        return _HeldRun(state, start_time, inputs)

    def _write_outputs(
        self,
        tx: neo4j.ManagedTransaction,
        plan: LineagePlan,
        change: RunChange,
        completed_at: datetime | None,
        now: datetime,
    ) -> list[str]:
        """Write the event's outputs; once the run completed, settle all it produced."""
        if not plan.outputs and completed_at is None:
            return []
        uses: dict[str, DatasetUse] = {}
        rows = []
        for use in plan.outputs:
            version = use.version or naming.run_version(change.run_id)
            ref = naming.snapshot_ref(use.name, version)
            uses[ref] = use
            rows.append(_snapshot_row(use, ref, version, "run", PENDING))
        held = self._lock_snapshots(tx, rows, now)
        named = [ref for ref, use in uses.items() if use.version is not None]
        for head, _ in self._closes_cycle(tx, named, [change.ref]):
            raise CycleError(
                f"{head} is already upstream of {change.ref}; the run cannot also produce it",
                field="outputs",
            )
        writes = []
        for index, (ref, use) in enumerate(uses.items()):
            record = held[ref]
            others = [producer for producer in record["producers"] if producer != change.ref]
            if others:
                raise Conflict(
                    f"{ref} is already produced by {others[0]}; a snapshot has one producer",
                    field=f"outputs[{index}]",
                )
            own = _facets(record, "own").merged(use.facets, plan.event_time)
            seen = _facets(record).merged(use.facets, plan.event_time)
            writes.append({"ref": ref, "props": {**snapshot_props(seen), **own_facet_props(own)}})
        (written,) = self._ol(
            tx, "write_outputs", run=change.ref, rows=writes, completedAt=completed_at
        )
        self._rebind_readers(tx, written["settled"])
        return list(uses)

    def _rebind_readers(self, tx: neo4j.ManagedTransaction, settled: list[JsonDict]) -> None:
        """Settled outputs are available from their run's completion: by-time readers that
        started after it move to them, with the facets they saw."""
        for record in settled:
            after = record["after"]
            if after is None or after == record["before"]:
                continue
            moved = self._ol(
                tx, "rebind_readers", snapshot=record["ref"], producedAt=_native(after)
            )
            if not moved:
                continue
            facets = _facets(record)  # locked by write_outputs' SET
            for edge in moved:
                if edge["facets"] is not None:
                    facets = facets.combined(FacetSet.from_json(edge["facets"], edge["facetTimes"]))
            self._set_snapshots(tx, [{"ref": record["ref"], "props": snapshot_props(facets)}])
            self._readers_left(tx, {edge["left"] for edge in moved})

    def _write_inputs(
        self,
        tx: neo4j.ManagedTransaction,
        plan: LineagePlan,
        change: RunChange,
        bound_at: datetime,
        edges: dict[str, FacetSet],
        now: datetime,
    ) -> list[str]:
        """Bind each input to a snapshot: the named version, else the latest one by time.
        ``edges``: what the run reads so far, with the facets it saw on each."""
        to_open: list[JsonDict] = []  # snapshots that may not exist yet
        chosen: dict[str, _Binding] = {}
        for use in plan.inputs:
            if use.version is not None:
                ref = naming.snapshot_ref(use.name, use.version)
                to_open.append(_snapshot_row(use, ref, use.version, "declared", AVAILABLE))
                edge = edges.get(ref, FacetSet()).merged(use.facets, plan.event_time)
                chosen[ref] = _Binding(use, "version", edge)
        by_time = {u.dataset_ref: u for u in plan.inputs if u.version is None}
        targets = self._ol(
            tx, "find_time_targets", run=change.ref, datasets=list(by_time), boundAt=bound_at
        )
        stale: set[str] = set()
        existing: dict[str, JsonDict] = {}  # rows to lock the by-time targets that exist
        for record in targets:
            by_time_use = by_time.get(record["dataset"])
            target = record["target"]
            name = str(record["dataset"]).removeprefix("dataset:")
            source = by_time_use or DatasetUse(
                name, record["namespace"] or "", record["sourceName"] or "", None, {}
            )
            if target is None:  # nothing known before the run started: the placeholder
                target = naming.snapshot_ref(name, naming.PLACEHOLDER_VERSION)
                version = naming.PLACEHOLDER_VERSION
                to_open.append(_snapshot_row(source, target, version, "placeholder", AVAILABLE))
            else:  # only locked: the row's other fields matter only for a new snapshot
                version = str(target).rpartition("@")[2]
                existing[target] = _snapshot_row(source, target, version, "declared", AVAILABLE)
            edge = FacetSet()
            for current in record["current"]:  # what the run saw travels with its edge
                edge = edge.combined(edges.get(current, FacetSet()))
                if current != target:
                    stale.add(current)
            if by_time_use is not None:
                edge = edge.merged(by_time_use.facets, plan.event_time)
            chosen[target] = _Binding(by_time_use, "time", edge)
        named = [ref for ref, b in chosen.items() if b.binding == "version"]
        for _, tail in self._closes_cycle(tx, [change.ref], named):
            raise CycleError(
                f"{tail} is downstream of {change.ref}; the run cannot also read it",
                field="inputs",
            )
        if stale:
            self._ol(tx, "unbind_inputs", run=change.ref, refs=sorted(stale))
        opened = {str(row["ref"]) for row in to_open}
        to_open.extend(existing[ref] for ref in chosen if ref not in opened)
        held = self._lock_snapshots(tx, to_open, now)  # one statement, one lock order
        writes = []
        for ref, bound in chosen.items():
            props = snapshot_props(_facets(held[ref]).combined(bound.edge))
            if bound.binding == "version":
                props["status"] = AVAILABLE  # it was read, so it exists
            writes.append(
                {
                    "ref": ref,
                    "props": props,
                    "binding": bound.binding,
                    "boundAt": bound_at,
                    "edgeFacets": bound.edge.facets_json(),
                    "edgeFacetTimes": bound.edge.times_json(),
                }
            )
        if writes:
            self._ol(tx, "write_inputs", run=change.ref, rows=writes)
        self._readers_left(tx, stale)
        return [ref for ref, bound in chosen.items() if bound.use is not None]

    # --- a DatasetEvent or JobEvent ---------------------------------------------------------
    def _apply_datasets(
        self, tx: neo4j.ManagedTransaction, plan: LineagePlan, now: datetime
    ) -> AppliedEvent:
        self._lineage_lock(tx, plan)
        uses = sorted(plan.datasets, key=lambda use: use.dataset_ref)
        rows = [
            {
                "datasetRef": use.dataset_ref,
                "name": use.name,
                "namespace": use.namespace,
                "sourceName": use.source_name,
            }
            for use in uses
        ]
        held = {r["ref"]: r for r in self._ol(tx, "lock_datasets", rows=rows, now=now)}
        merged: dict[str, FacetSet] = {}
        for use in uses:
            current = merged.get(use.dataset_ref) or _facets(held[use.dataset_ref])
            merged[use.dataset_ref] = current.merged(use.facets, plan.event_time)
        facet_rows = [{"ref": ref, "props": dataset_props(f)} for ref, f in merged.items()]
        self._ol(tx, "set_dataset_facets", rows=facet_rows)
        versioned: dict[str, DatasetUse] = {}
        for use in uses:
            if use.version is not None:
                versioned[naming.snapshot_ref(use.name, use.version)] = use
        snapshot_rows = [
            _snapshot_row(use, ref, use.version or "", "declared", AVAILABLE)
            for ref, use in versioned.items()
        ]
        snapshots = self._lock_snapshots(tx, snapshot_rows, now)
        writes = []
        for ref, use in versioned.items():
            own = _facets(snapshots[ref], "own").merged(use.facets, plan.event_time)
            seen = _facets(snapshots[ref]).merged(use.facets, plan.event_time)
            writes.append({"ref": ref, "props": {**snapshot_props(seen), **own_facet_props(own)}})
        self._set_snapshots(tx, writes)
        return AppliedEvent(datasets=[*merged, *versioned])
