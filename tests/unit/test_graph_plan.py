"""The batch planner alone (no Neo4j): every rule decided from the facts it is given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from lineagegraph.graph.ingest_plan import (
    GraphFacts,
    KnownNode,
    needs_locking,
    needs_of,
    plan_batch,
)
from lineagegraph.models import IngestBatch
from lineagegraph.refs import NodeKind

NOW = datetime(2026, 6, 1, tzinfo=UTC)
RUN = str(uuid.uuid4())
RUN_REF = f"run:{RUN}"


def batch(*raw: dict) -> list:
    return IngestBatch.model_validate({"events": list(raw)}).events


def plan(facts: GraphFacts, *raw: dict):
    return plan_batch(batch(*raw), facts, NOW)


def test_needs_list_every_ref_dataset_version_and_binding():
    events = batch(
        {"type": "artifact_consumed", "run_id": RUN, "ref": "dataset:clicks", "event_id": "c1"},
        {
            "type": "artifact_registered",
            "artifact": {"kind": "MODEL", "name": "m"},
            "produced_by": RUN,
            "event_id": "r1",
        },
        {"type": "metrics_logged", "run_id": RUN, "step": 1, "values": {"x": 1}},
    )
    needs = needs_of(events)
    assert needs.refs == {RUN_REF, "dataset:clicks"}
    assert needs.datasets == {"dataset:clicks"}
    assert needs.versions == [{"kind": "MODEL", "name": "m", "eventId": "r1"}]
    assert needs.bindings == [{"run": RUN_REF, "eventId": "c1"}]
    assert needs_locking(events)
    assert not needs_locking(events[2:])


def test_a_rejected_event_leaves_no_trace_for_later_events():
    facts = GraphFacts(nodes={RUN_REF: KnownNode(RUN_REF, NodeKind.RUN)})
    result = plan(
        facts,
        {  # rejected: its source does not exist, so the feature must not exist for the next one
            "type": "artifact_registered",
            "artifact": {
                "kind": "FEATURE_DEFINITION",
                "name": "f",
                "version": "1",
                "sources": ["dataset:nope@1"],
            },
        },
        {"type": "artifact_consumed", "run_id": RUN, "ref": "feature:f@1"},
    )
    assert [(r.ok, r.code) for r in result.results] == [(False, "NOT_FOUND"), (False, "NOT_FOUND")]
    assert not result.registrations.get(NodeKind.FEATURE_DEFINITION)
    assert result.consumed == {}
    assert result.flow_edges == []


def test_cycles_use_stored_reachability_and_edges_of_the_batch():
    snapshot = "dataset:s@1"
    facts = GraphFacts(
        nodes={
            RUN_REF: KnownNode(RUN_REF, NodeKind.RUN),
            snapshot: KnownNode(snapshot, NodeKind.DATASET_SNAPSHOT),
        },
        reach={RUN_REF: {snapshot}},  # the run already reaches the snapshot in the graph
        cycles_known=True,
    )
    result = plan(facts, {"type": "artifact_consumed", "run_id": RUN, "ref": snapshot})
    assert result.results[0].code == "CYCLE"
    # without stored reachability the same edge is fine
    facts.reach = {}
    result = plan(facts, {"type": "artifact_consumed", "run_id": RUN, "ref": snapshot})
    assert result.results[0].ok
    assert result.flow_edges == [(snapshot, RUN_REF)]


def test_considered_lists_every_edge_a_check_looked_at_even_a_refused_one():
    """The store reads stored facts for plan.considered: a refused or already-known edge is
    there too, so a plan made on assumed facts is only kept when those edges' facts agree."""
    snapshot = "dataset:s@1"
    facts = GraphFacts(
        nodes={
            RUN_REF: KnownNode(RUN_REF, NodeKind.RUN),
            snapshot: KnownNode(snapshot, NodeKind.DATASET_SNAPSHOT),
        },
        reach={RUN_REF: {snapshot}},
        cycles_known=True,
    )
    result = plan(facts, {"type": "artifact_consumed", "run_id": RUN, "ref": snapshot})
    assert result.results[0].code == "CYCLE"
    assert result.flow_edges == []
    assert result.considered == {(snapshot, RUN_REF)}
    facts.reach, facts.existing_edges = {}, {(snapshot, RUN_REF)}
    result = plan(facts, {"type": "artifact_consumed", "run_id": RUN, "ref": snapshot})
    assert result.results[0].ok
    assert result.considered == {(snapshot, RUN_REF)}


def test_existing_edges_are_not_rechecked_nor_rewritten_as_new():
    snapshot = "dataset:s@1"
    facts = GraphFacts(
        nodes={
            RUN_REF: KnownNode(RUN_REF, NodeKind.RUN),
            snapshot: KnownNode(snapshot, NodeKind.DATASET_SNAPSHOT),
        },
        existing_edges={(snapshot, RUN_REF)},
        cycles_known=True,
    )
    result = plan(facts, {"type": "artifact_consumed", "run_id": RUN, "ref": snapshot})
    assert result.results[0].ok
    assert result.flow_edges == []
    assert list(result.consumed) == [(RUN_REF, snapshot)]  # MERGE again: harmless


def test_auto_versions_continue_numbering_and_replays_reuse():
    facts = GraphFacts(
        highest_version={("MODEL", "m"): 4},
        version_by_event={"old": "2"},
        nodes={"model:m@2": KnownNode("model:m@2", NodeKind.MODEL)},
    )
    result = plan(
        facts,
        {"type": "artifact_registered", "artifact": {"kind": "MODEL", "name": "m"}},
        {"type": "artifact_registered", "artifact": {"kind": "MODEL", "name": "m"}},
        {
            "type": "artifact_registered",
            "event_id": "old",
            "artifact": {"kind": "MODEL", "name": "m"},
        },
    )
    assert [r.ref for r in result.results] == ["model:m@5", "model:m@6", "model:m@2"]
    assert [row["version"] for row in result.registrations[NodeKind.MODEL]] == ["5", "6"]


def test_snapshots_registered_in_the_batch_become_the_latest():
    facts = GraphFacts(
        nodes={
            RUN_REF: KnownNode(RUN_REF, NodeKind.RUN),
            "dataset:d@1": KnownNode("dataset:d@1", NodeKind.DATASET_SNAPSHOT),
        },
        latest={"dataset:d": "dataset:d@1"},
    )
    result = plan(
        facts,
        {"type": "artifact_consumed", "run_id": RUN, "ref": "dataset:d"},
        {
            "type": "artifact_registered",
            "artifact": {"kind": "DATASET_SNAPSHOT", "name": "d", "version": "2"},
        },
        {"type": "artifact_consumed", "run_id": RUN, "ref": "dataset:d"},
    )
    assert [r.ref for r in result.results] == ["dataset:d@1", "dataset:d@2", "dataset:d@2"]


def test_metrics_and_tags_are_merged_per_run_before_writing():
    facts = GraphFacts(nodes={RUN_REF: KnownNode(RUN_REF, NodeKind.RUN)})
    result = plan(
        facts,
        {"type": "metrics_logged", "run_id": RUN, "step": 2, "values": {"loss": 1.0}},
        {"type": "metrics_logged", "run_id": RUN, "step": 1, "values": {"loss": 2.0, "acc": 0.5}},
        {"type": "metrics_logged", "run_id": RUN, "step": 2, "values": {"loss": 0.5}},
        {"type": "run_tagged", "run_id": RUN, "tags": {"a": "1"}},
        {"type": "run_tagged", "run_id": RUN, "tags": {"a": "2", "b": "3"}},
    )
    assert {k: {s: v for s, (v, _) in pts.items()} for k, pts in result.metrics.items()} == {
        (RUN_REF, "loss"): {2: 0.5, 1: 2.0},
        (RUN_REF, "acc"): {1: 0.5},
    }
    assert result.tags == {RUN_REF: {"a": "2", "b": "3"}}
