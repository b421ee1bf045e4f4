"""The GraphQL API through the running service: mutations, reads, ingest, errors, limits."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from lineagegraph.graph.store import GraphStore
from tests.conftest import LiveService
from tests.integration.api_helpers import GraphQL, code_of, field_of

DIGEST = "sha256:" + "c" * 64

REGISTER_SNAPSHOT = """
mutation($input: RegisterDatasetSnapshotInput!) {
  registerDatasetSnapshot(input: $input) { ref name version digest rowCount status schema tags }
}"""
START = "mutation($input: StartRunInput!) { startRun(input: $input) { ref status name } }"
FINISH = "mutation($input: FinishRunInput!) { finishRun(input: $input) { ref status endTime } }"
CONSUME = """
mutation($input: LinkConsumedInput!) {
  linkConsumed(input: $input) { run { ref } artifact { ref } }
}"""
REGISTER_MODEL = """
mutation($input: RegisterModelInput!) {
  registerModel(input: $input) { ref version framework producedBy { ref } }
}"""
REGISTER_REPORT = """
mutation($input: RegisterEvaluationReportInput!) {
  registerEvaluationReport(input: $input) {
    ref model { ref } metrics { key value valueText }
    slices { slice metrics { key value low high confidence } }
  }
}"""
INGEST = """
mutation($events: JSON!) {
  ingest(input: {events: $events}) { accepted results { eventId ok ref code message field } }
}"""


@pytest.fixture
def gql(live_service: LiveService, http: httpx.Client) -> GraphQL:
    return GraphQL(http, live_service.url)


def test_a_training_run_through_the_mutations_reads_back_whole(gql: GraphQL):
    snap = gql.ok(
        REGISTER_SNAPSHOT,
        input={
            "name": "clicks",
            "version": "2026-12-01",
            "digest": DIGEST,
            "rowCount": 5_000_000_000,
            "schema": {"columns": ["user", "ts"]},
            "tags": {"owner": "data"},
        },
    )["registerDatasetSnapshot"]
    assert snap == {
        "ref": "dataset:clicks@2026-12-01",
        "name": "clicks",
        "version": "2026-12-01",
        "digest": DIGEST,
        "rowCount": 5_000_000_000,
        "status": "AVAILABLE",
        "schema": {"columns": ["user", "ts"]},
        "tags": {"owner": "data"},
    }
    provenance = {
        "code": {"commit": "deadbeef", "branch": "main", "dirty": True, "command": ["train.py"]},
        "environment": {"python_version": "3.11.9", "packages_digest": DIGEST},
        "hardware": {"cpu_model": "x", "cpu_count": 2, "gpus": []},
        "seeds": {"random": 42, "numpy": 42},
        "config": {"lr": 0.01},
        "data_filters": {"country": "US"},
        "user": "ada",
    }
    run = gql.ok(
        START, input={"name": "train-ranker", "provenance": provenance, "tags": {"team": "ranking"}}
    )["startRun"]
    assert run["status"] == "RUNNING"
    run_ref = run["ref"]
    child = gql.ok(START, input={"name": "fold-1", "parent": run_ref})["startRun"]
    link = gql.ok(CONSUME, input={"run": run_ref, "artifact": "dataset:clicks"})["linkConsumed"]
    assert link == {"run": {"ref": run_ref}, "artifact": {"ref": "dataset:clicks@2026-12-01"}}
    model = gql.ok(
        REGISTER_MODEL, input={"name": "ranker", "framework": "torch", "producedBy": run_ref}
    )["registerModel"]
    assert model == {
        "ref": "model:ranker@1",
        "version": "1",
        "framework": "torch",
        "producedBy": {"ref": run_ref},
    }
    report = gql.ok(
        REGISTER_REPORT,
        input={
            "name": "ranker-eval",
            "evaluates": "model:ranker@1",
            "producedBy": run_ref,
            "metrics": {"auc": 0.91, "loss": "NaN"},
            "slices": {"country=US": {"auc": {"value": 0.93, "low": 0.91, "high": 0.95}}},
        },
    )["registerEvaluationReport"]
    assert report["ref"] == "report:ranker-eval@1"
    assert report["model"] == {"ref": "model:ranker@1"}
    assert report["metrics"] == [
        {"key": "auc", "value": 0.91, "valueText": None},
        {"key": "loss", "value": None, "valueText": "NaN"},
    ]
    assert report["slices"] == [
        {
            "slice": "country=US",
            "metrics": [
                {"key": "auc", "value": 0.93, "low": 0.91, "high": 0.95, "confidence": 0.95}
            ],
        }
    ]
    run_id = run_ref.removeprefix("run:")
    gql.ok(
        INGEST,
        events=[
            {"type": "metrics_logged", "run_id": run_id, "step": s, "values": {"loss": v}}
            for s, v in ((2, 0.5), (0, "Infinity"), (1, 1.5))
        ]
        + [{"type": "params_logged", "run_id": run_id, "params": {"epochs": 3}}],
    )
    finished = gql.ok(FINISH, input={"run": run_ref, "status": "COMPLETED"})["finishRun"]
    assert finished["status"] == "COMPLETED"
    assert finished["endTime"]

    data = gql.ok(
        """query($ref: String!) { node(ref: $ref) { ref kind name createdAt ... on Run {
            status startTime endTime code environment hardware seeds config dataFilters params
            tags user command children { ref } parent { ref }
            consumed { ref kind } produced { ref }
            metricKeys metric(key: "loss") { step value valueText timestamp } } } }""",
        ref=run_ref,
    )["node"]
    assert data["kind"] == "RUN"
    assert data["code"]["commit"] == "deadbeef"
    assert data["code"]["dirty"] is True
    assert data["environment"]["packages_digest"] == DIGEST
    assert data["hardware"]["cpu_count"] == 2
    assert (data["seeds"], data["config"], data["dataFilters"], data["user"]) == (
        {"random": 42, "numpy": 42},
        {"lr": 0.01},
        {"country": "US"},
        "ada",
    )
    assert data["params"] == {"epochs": 3}
    assert data["tags"] == {"team": "ranking"}
    assert data["command"] == ["train.py"]
    assert data["children"] == [{"ref": child["ref"]}]
    assert data["parent"] is None
    assert data["consumed"] == [{"ref": "dataset:clicks@2026-12-01", "kind": "DATASET_SNAPSHOT"}]
    assert sorted(p["ref"] for p in data["produced"]) == ["model:ranker@1", "report:ranker-eval@1"]
    assert data["metricKeys"] == ["loss"]
    assert [(p["step"], p["value"], p["valueText"]) for p in data["metric"]] == [
        (0, None, "Infinity"),
        (1, 1.5, None),
        (2, 0.5, None),
    ]

    lineage = gql.ok(
        """{ lineage(ref: "dataset:clicks@2026-12-01", direction: DOWNSTREAM, depth: 3) {
              nodes { ref kind depth } edges { from to kind } truncated } }"""
    )["lineage"]
    depths = {n["ref"]: n["depth"] for n in lineage["nodes"]}
    assert depths == {
        "dataset:clicks@2026-12-01": 0,
        run_ref: 1,
        "model:ranker@1": 2,
        "report:ranker-eval@1": 2,
    }
    assert {(e["from"], e["to"], e["kind"]) for e in lineage["edges"]} == {
        ("dataset:clicks@2026-12-01", run_ref, "CONSUMED"),
        (run_ref, "model:ranker@1", "PRODUCED"),
        (run_ref, "report:ranker-eval@1", "PRODUCED"),
        ("model:ranker@1", "report:ranker-eval@1", "EVALUATES"),
    }
    assert lineage["truncated"] is False
    impact = gql.ok(
        """{ impact(ref: "dataset:clicks") { total truncated runs { ref depth }
              models { ref name version depth } evaluationReports { ref depth }
              datasetSnapshots { ref } featureDefinitions { ref } } }"""
    )["impact"]
    assert impact["total"] == 3
    assert impact["runs"] == [{"ref": run_ref, "depth": 1}]
    assert impact["models"] == [
        {"ref": "model:ranker@1", "name": "ranker", "version": "1", "depth": 2}
    ]
    assert impact["evaluationReports"] == [{"ref": "report:ranker-eval@1", "depth": 2}]


def test_ingest_reports_each_event_and_replays_change_nothing(gql: GraphQL):
    run = str(uuid.uuid4())
    batch = [
        {"event_id": "s", "type": "run_started", "run_id": run, "name": "r"},
        {"event_id": "bad", "type": "artifact_consumed", "run_id": run, "ref": "dataset:gone@1"},
        {"event_id": "shape", "type": "metrics_logged", "run_id": run, "step": -1, "values": {}},
        {
            "event_id": "m",
            "type": "artifact_registered",
            "artifact": {"kind": "MODEL", "name": "x"},
        },
    ]
    first = gql.ok(INGEST, events=batch)["ingest"]
    again = gql.ok(INGEST, events=batch)["ingest"]
    assert first == again
    assert first["accepted"] == 2
    rows = {r["eventId"]: r for r in first["results"]}
    assert [r["eventId"] for r in first["results"]] == ["s", "bad", "shape", "m"]
    assert rows["s"]["ref"] == f"run:{run}"
    assert (rows["bad"]["code"], rows["bad"]["field"]) == ("NOT_FOUND", "ref")
    assert rows["shape"]["code"] == "BAD_INPUT"
    assert rows["shape"]["field"] in {"step", "values"}
    assert rows["m"]["ref"] == "model:x@1"  # replayed: still version 1

    not_a_list = gql.error(INGEST, events={"type": "run_started"})
    assert (code_of(not_a_list), field_of(not_a_list)) == ("BAD_INPUT", "input.events")
    no_id = gql.error(INGEST, events=[{"type": "nonsense"}])
    assert (code_of(no_id), field_of(no_id)) == ("BAD_INPUT", "input.events[0]")


def test_ingest_batch_size_is_bounded(base_settings, settings, http: httpx.Client):
    from tests.conftest import run_service

    small = settings.model_copy(update={"max_batch_size": 3})
    with run_service(small) as service:
        gql = GraphQL(http, service.url)
        events = [
            {"type": "run_started", "run_id": str(uuid.uuid4()), "name": "r"} for _ in range(4)
        ]
        error = gql.error(INGEST, events=events)
        assert (code_of(error), field_of(error)) == ("BAD_INPUT", "input.events")
        assert "at most 3" in error["message"]
        assert gql.ok(INGEST, events=events[:3])["ingest"]["accepted"] == 3
        assert gql.ok("{ runs { nodes { ref } } }")["runs"]["nodes"].__len__() == 3


def test_listings_page_and_filter_through_graphql(gql: GraphQL):
    for i in range(5):
        gql.ok(START, input={"name": "sweep", "tags": {"trial": str(i)}})
    gql.ok(START, input={"name": "other"})
    query = """query($after: String, $filter: RunFilter) {
        runs(first: 2, after: $after, filter: $filter) {
          nodes { ref name tags } pageInfo { hasNextPage endCursor } } }"""
    names, after = [], None
    while True:
        page = gql.ok(query, after=after, filter={"name": "sweep"})["runs"]
        names.extend(n["tags"]["trial"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["4", "3", "2", "1", "0"]
    tagged = gql.ok(query, filter={"tag": {"key": "trial", "value": "3"}})["runs"]["nodes"]
    assert [n["tags"] for n in tagged] == [{"trial": "3"}]
    bad = gql.error(query, after="not-a-cursor")
    assert (code_of(bad), field_of(bad)) == ("BAD_INPUT", "after")
    gql.ok(REGISTER_SNAPSHOT, input={"name": "d", "version": "1"})
    gql.ok(REGISTER_MODEL, input={"name": "m"})
    models = gql.ok("{ artifacts(kind: MODEL) { nodes { ref kind } } }")["artifacts"]["nodes"]
    assert models == [{"ref": "model:m@1", "kind": "MODEL"}]
    everything = gql.ok("{ artifacts { nodes { ref } } }")["artifacts"]["nodes"]
    assert {n["ref"] for n in everything} == {"model:m@1", "dataset:d@1", "dataset:d"}
    too_many = gql.error("{ runs(first: 100000) { nodes { ref } } }")
    assert (code_of(too_many), field_of(too_many)) == ("BAD_INPUT", "first")


def test_query_depth_and_alias_limits(gql: GraphQL, live_service: LiveService):
    deep = (
        '{ node(ref: "run:'
        + str(uuid.uuid4())
        + '") { ... on Run { '
        + ("parent { " * 14)
        + "ref"
        + " }" * 14
        + " } } }"
    )
    error = gql.error(deep)
    assert code_of(error) == "BAD_INPUT"
    assert "depth" in error["message"]
    aliases = "{ " + " ".join(f"a{i}: serviceVersion" for i in range(40)) + " }"
    error = gql.error(aliases)
    assert code_of(error) == "BAD_INPUT"
    assert "alias" in error["message"].lower()


def test_internal_errors_are_masked_and_logged(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    def broken(self: GraphStore, ref: str) -> None:
        raise RuntimeError("secret detail: bolt://internal-host password=hunter2")

    monkeypatch.setattr(GraphStore, "impact", broken)
    with caplog.at_level(logging.ERROR, logger="lineagegraph.api"):
        body = gql.raw('{ impact(ref: "dataset:x@1") { total } }')
    (error,) = body["errors"]
    assert error["message"] == "internal error"
    assert error["extensions"] == {"code": "INTERNAL"}
    assert "hunter2" not in str(body)
    assert any(
        r.name == "lineagegraph.api" and r.exc_info and "hunter2" in str(r.exc_info[1])
        for r in caplog.records
    )


def test_dataloaders_batch_nested_fields(gql: GraphQL, monkeypatch: pytest.MonkeyPatch):
    run = gql.ok(START, input={"name": "producer"})["startRun"]["ref"]
    for i in range(12):
        gql.ok(REGISTER_MODEL, input={"name": f"m{i}", "producedBy": run})
    calls: list[tuple[str, int]] = []
    original = GraphStore.related

    def counting(self: GraphStore, relation: str, refs: list[str]) -> object:
        calls.append((relation, len(refs)))
        return original(self, relation, refs)

    monkeypatch.setattr(GraphStore, "related", counting)
    nodes = gql.ok(
        "{ artifacts(kind: MODEL) { nodes { ref ... on Model { producedBy { ref } "
        "evaluations { ref } consumedBy { ref } } } } }"
    )["artifacts"]["nodes"]
    assert len(nodes) == 12
    assert all(n["producedBy"] == {"ref": run} for n in nodes)
    assert sorted(calls) == [("consumers", 12), ("producer", 12), ("reports", 12)]
