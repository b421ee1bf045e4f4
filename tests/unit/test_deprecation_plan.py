"""The consume rule for deprecated artifacts in the planner (no Neo4j), and the impact report's
breadth-first paths."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from lineagegraph.graph.deprecation import DeprecationInfo, describe
from lineagegraph.graph.ingest_plan import GraphFacts, KnownNode, plan_batch
from lineagegraph.models import IngestBatch
from lineagegraph.refs import NodeKind

NOW = datetime(2026, 6, 1, tzinfo=UTC)
RUN = str(uuid.uuid4())
RUN_REF = f"run:{RUN}"
SNAP = "dataset:raw@v1"
MESSAGE = describe(
    DeprecationInfo(SNAP, reason="PII leak", sunset=date(2027, 3, 1), replacement="dataset:raw@v2")
)


def facts(*, stored_edge: bool = False, known: bool = True) -> GraphFacts:
    return GraphFacts(
        nodes={
            RUN_REF: KnownNode(RUN_REF, NodeKind.RUN),
            SNAP: KnownNode(SNAP, NodeKind.DATASET_SNAPSHOT, digest="sha256:" + "a" * 64),
        },
        latest={"dataset:raw": SNAP},
        existing_edges={(SNAP, RUN_REF)} if stored_edge else set(),
        cycles_known=known,
        deprecated={SNAP: MESSAGE},
    )


def consume(ref: str = SNAP) -> list:
    raw = {"type": "artifact_consumed", "run_id": RUN, "ref": ref, "event_id": "e1"}
    return IngestBatch.model_validate({"events": [raw]}).events


def test_the_message_names_snapshot_reason_sunset_and_replacement():
    assert MESSAGE == (
        "dataset:raw@v1 is deprecated: PII leak; sunset 2027-03-01; use dataset:raw@v2 instead"
    )
    bare = describe(DeprecationInfo(SNAP))
    assert bare == "dataset:raw@v1 is deprecated: no reason given; no replacement given"


@pytest.mark.parametrize("ref", [SNAP, "dataset:raw"])
def test_block_refuses_a_new_consume(ref: str):
    plan = plan_batch(consume(ref), facts(), NOW, block_deprecated=True)
    (result,) = plan.results
    assert (result.ok, result.code, result.field) == (False, "DEPRECATED", "ref")
    assert MESSAGE in (result.message or "")
    assert plan.consumed == {}
    assert plan.flow_edges == []


def test_warn_accepts_with_a_warning():
    plan = plan_batch(consume(), facts(), NOW)
    (result,) = plan.results
    assert result.ok
    assert result.warning == f"consumed a deprecated artifact: {MESSAGE}"
    assert (SNAP, RUN_REF) in plan.flow_edges


@pytest.mark.parametrize("block", [True, False])
def test_a_stored_consume_replays_without_refusal_or_warning(block: bool):
    plan = plan_batch(consume(), facts(stored_edge=True), NOW, block_deprecated=block)
    (result,) = plan.results
    assert (result.ok, result.warning) == (True, None)


def test_the_rule_waits_for_the_stored_edges():
    """First planning pass (stored edges not read yet): nothing decided, the edge is a candidate."""
    plan = plan_batch(consume(), facts(known=False), NOW, block_deprecated=True)
    (result,) = plan.results
    assert (result.ok, result.warning) == (True, None)
    assert plan.flow_edges == [(SNAP, RUN_REF)]
