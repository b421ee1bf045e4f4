"""Writes OpenLineage plans (openlineage/mapping.py) into the shared graph, one transaction each.

The nodes and edges are the shared ones (Run, Dataset, DatasetSnapshot; CONSUMED, PRODUCED,
SNAPSHOT_OF, CHILD_OF), so lineage and impact traverse OpenLineage jobs and SDK runs alike. What
only OpenLineage needs lives in ``ol*`` properties and in cypher/openlineage/: the facets as sent,
by-time input binding, placeholder snapshots. Every step is idempotent and order-free (see
openlineage/merge.py); a conflict raises inside the transaction, so nothing of the event is stored.
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
)
from lineagegraph.openlineage.merge import FacetSet, RunState

JsonDict = dict[str, Any]


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


def _native(value: Any) -> datetime | None:
    if value is None:
        return None
    native = value.to_native() if hasattr(value, "to_native") else value
    assert isinstance(native, datetime)
    return native


def _status(value: object) -> RunStatus | None:
    return RunStatus(value) if isinstance(value, str) and value in set(RunStatus) else None


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


def derived_tags(state: RunState) -> dict[str, str]:
    return derive_run_fields(state.run_facets.facets, state.job_facets.facets).tags


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
        return self._run_key(tx, f"openlineage.{key}", **params)

    def _run_key(self, tx: neo4j.ManagedTransaction, key: str, **params: Any) -> list[neo4j.Record]:
        return list(tx.run(self._catalog[key].text, params))

    def _closes_cycle(
        self, tx: neo4j.ManagedTransaction, heads: list[str], tails: list[str]
    ) -> set[tuple[str, str]]:
        """Pairs (head, tail) where head already reaches tail: a new edge tail->head loops."""
        if not heads or not tails:
            return set()
        rows = self._run_key(tx, "ingest.reach", heads=sorted(heads), tails=sorted(tails))
        return {(row["head"], row["tail"]) for row in rows}

    def _lock_snapshots(
        self, tx: neo4j.ManagedTransaction, rows: list[JsonDict], now: datetime
    ) -> dict[str, neo4j.Record]:
        if not rows:
            return {}
        rows = sorted(rows, key=lambda row: str(row["ref"]))  # one lock order for everyone
        records = self._run(tx, "lock_snapshots", rows=rows, now=now)
        return {record["ref"]: record for record in records}

    # --- a RunEvent -------------------------------------------------------------------------
    def _apply_run(
        self, tx: neo4j.ManagedTransaction, plan: LineagePlan, change: RunChange, now: datetime
    ) -> AppliedEvent:
        if names_versions(plan):
            # Named versions are shared with SDK registrations: check them under the store's
            # lineage lock, taken first (as the store does) so the lock order is the same.
            self._run_key(tx, "ingest.lock")
        state = self._merge_run(tx, change, now)
        outputs = self._write_outputs(tx, plan, change, now)
        self._settle_outputs(tx, change.ref, state.completed_at)
        assert state.start_time is not None
        inputs = self._write_inputs(tx, plan, change, state.start_time, now)
        return AppliedEvent(run=change.ref, inputs=inputs, outputs=outputs)

    def _merge_run(
        self, tx: neo4j.ManagedTransaction, change: RunChange, now: datetime
    ) -> RunState:
        (held,) = self._run(tx, "lock_run", ref=change.ref, name=change.name, now=now)
        state = RunState(
            status=_status(held["status"]),
            start_time=_native(held["startTime"]),
            end_time=_native(held["endTime"]),
            completed_at=_native(held["completedAt"]),
            job_namespace=held["jobNamespace"],
            job_name=held["jobName"],
            job_time=held["jobTime"],
            run_facets=FacetSet.from_json(held["runFacets"], held["runFacetTimes"]),
            job_facets=FacetSet.from_json(held["jobFacets"], held["jobFacetTimes"]),
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
        tags = merged_tags(
            held["tagKeys"], held["tagValues"], held["olTagKeys"], derived_tags(state)
        )
        props = run_props(state, tags)
        self._run(tx, "upsert_run", ref=change.ref, props=props, parent=parent, now=now)
        return state

    def _write_outputs(
        self, tx: neo4j.ManagedTransaction, plan: LineagePlan, change: RunChange, now: datetime
    ) -> list[str]:
        uses = {}
        rows = []
        for use in plan.outputs:
            version = use.version or naming.run_version(change.run_id)
            ref = naming.snapshot_ref(use.name, version)
            uses[ref] = use
            rows.append(_snapshot_row(use, ref, version, "run", ArtifactStatus.PENDING.value))
        held = self._lock_snapshots(tx, rows, now)
        named = [ref for ref, use in uses.items() if use.version is not None]
        for head, _ in sorted(self._closes_cycle(tx, named, [change.ref])):
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
            facets = FacetSet.from_json(record["facets"], record["facetTimes"])
            facets = facets.merged(use.facets, plan.event_time)
            writes.append({"ref": ref, "props": snapshot_props(facets)})
        if writes:
            self._run(tx, "write_outputs", run=change.ref, rows=writes)
        return list(uses)

    def _settle_outputs(
        self, tx: neo4j.ManagedTransaction, run: str, completed_at: datetime | None
    ) -> None:
        moved = self._run(tx, "settle_outputs", run=run, completedAt=completed_at)
        for record in moved:
            after = record["after"]
            if after is None or after == record["before"]:
                continue
            left = self._run(tx, "rebind_readers", snapshot=record["ref"], producedAt=after)
            emptied = [r["left"] for r in left]
            if emptied:
                self._merge_placeholders(tx, record["ref"], emptied)

    def _merge_placeholders(
        self, tx: neo4j.ManagedTransaction, snapshot: str, candidates: list[str]
    ) -> None:
        dropped = self._run(tx, "drop_empty_placeholders", refs=candidates)
        if not dropped:
            return
        (held,) = self._run(tx, "lock_snapshot_facets", refs=[snapshot])
        facets = FacetSet.from_json(held["facets"], held["facetTimes"])
        for record in dropped:
            facets = facets.filled_from(FacetSet.from_json(record["facets"], record["facetTimes"]))
        self._run(
            tx, "set_snapshot_props", rows=[{"ref": snapshot, "props": snapshot_props(facets)}]
        )

    def _write_inputs(
        self,
        tx: neo4j.ManagedTransaction,
        plan: LineagePlan,
        change: RunChange,
        bound_at: datetime,
        now: datetime,
    ) -> list[str]:
        """Bind each input to a snapshot: the named version, else the latest one by time."""
        to_open: list[JsonDict] = []  # snapshots that may not exist yet
        chosen: dict[str, tuple[DatasetUse | None, str]] = {}  # snapshot ref -> (use, binding)
        for named in plan.inputs:
            if named.version is not None:
                ref = naming.snapshot_ref(named.name, named.version)
                to_open.append(_snapshot_row(named, ref, named.version, "declared", "AVAILABLE"))
                chosen[ref] = (named, "version")
        by_time = {u.dataset_ref: u for u in plan.inputs if u.version is None}
        targets = self._run(
            tx, "find_time_targets", run=change.ref, datasets=list(by_time), boundAt=bound_at
        )
        stale: list[str] = []
        for record in targets:
            use = by_time.get(record["dataset"])
            target = record["target"]
            if target is None:  # nothing known before the run started: the placeholder
                name = str(record["dataset"]).removeprefix("dataset:")
                target = naming.snapshot_ref(name, naming.PLACEHOLDER_VERSION)
                source = use or DatasetUse(
                    name, record["namespace"] or "", record["sourceName"] or "", None, {}
                )
                to_open.append(
                    _snapshot_row(
                        source, target, naming.PLACEHOLDER_VERSION, "placeholder", "AVAILABLE"
                    )
                )
            stale.extend(ref for ref in record["current"] if ref != target)
            chosen[target] = (use, "time")
        if stale:
            self._run(tx, "unbind_inputs", run=change.ref, refs=stale)
        held = self._lock_snapshots(tx, to_open, now)
        unlocked = [ref for ref, (use, _) in chosen.items() if use and ref not in held]
        if unlocked:
            for record in self._run(tx, "lock_snapshot_facets", refs=unlocked):
                held[record["ref"]] = record
        by_name = [ref for ref, (_, binding) in chosen.items() if binding == "version"]
        for _, tail in sorted(self._closes_cycle(tx, [change.ref], by_name)):
            raise CycleError(
                f"{tail} is downstream of {change.ref}; the run cannot also read it",
                field="inputs",
            )
        writes = []
        for ref, (opened, binding) in chosen.items():
            props: JsonDict = {}
            found = held.get(ref)
            if opened is not None and found is not None:
                facets = FacetSet.from_json(found["facets"], found["facetTimes"])
                props = snapshot_props(facets.merged(opened.facets, plan.event_time))
            writes.append({"ref": ref, "props": props, "binding": binding, "boundAt": bound_at})
        if writes:
            self._run(tx, "write_inputs", run=change.ref, rows=writes)
        return [ref for ref, (use, _) in chosen.items() if use is not None]

    # --- a DatasetEvent or JobEvent ---------------------------------------------------------
    def _apply_datasets(
        self, tx: neo4j.ManagedTransaction, plan: LineagePlan, now: datetime
    ) -> AppliedEvent:
        if names_versions(plan):
            self._run_key(tx, "ingest.lock")
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
        held = {r["ref"]: r for r in self._run(tx, "lock_datasets", rows=rows, now=now)}
        facet_rows = []
        merged: dict[str, FacetSet] = {}
        for use in uses:
            current = merged.get(use.dataset_ref) or FacetSet.from_json(
                held[use.dataset_ref]["facets"], held[use.dataset_ref]["facetTimes"]
            )
            merged[use.dataset_ref] = current.merged(use.facets, plan.event_time)
        for ref, facets in merged.items():
            facet_rows.append({"ref": ref, "props": dataset_props(facets)})
        self._run(tx, "set_dataset_facets", rows=facet_rows)
        versioned = []
        snapshot_rows = []
        for use in uses:
            if use.version is None:
                continue
            ref = naming.snapshot_ref(use.name, use.version)
            versioned.append((ref, use))
            snapshot_rows.append(_snapshot_row(use, ref, use.version, "declared", "AVAILABLE"))
        snapshots = self._lock_snapshots(tx, snapshot_rows, now)
        writes = []
        for ref, use in versioned:
            record = snapshots[ref]
            facets = FacetSet.from_json(record["facets"], record["facetTimes"])
            writes.append(
                {"ref": ref, "props": snapshot_props(facets.merged(use.facets, plan.event_time))}
            )
        if writes:
            self._run(tx, "set_snapshot_props", rows=writes)
        return AppliedEvent(datasets=list(merged) + [ref for ref, _ in versioned])
