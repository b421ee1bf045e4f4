"""Listings through GraphQL: runs(...) and artifacts(kind, ...) filter by name, status, tag, time
range and kind, and page with cursors (newest first, each item once)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import LiveService
from tests.integration.api_helpers import GraphQL, code_of, field_of

START = "mutation($input: StartRunInput!) { startRun(input: $input) { ref createdAt } }"
FINISH = "mutation($input: FinishRunInput!) { finishRun(input: $input) { ref } }"
RUNS = """query($filter: RunFilter, $first: Int!, $after: String) {
  runs(filter: $filter, first: $first, after: $after) {
    nodes { ref name status } pageInfo { hasNextPage endCursor } } }"""
ARTIFACTS = """query($kind: NodeKind, $filter: ArtifactFilter, $first: Int!, $after: String) {
  artifacts(kind: $kind, filter: $filter, first: $first, after: $after) {
    nodes { ref kind name } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
def gql(live_service: LiveService, http: httpx.Client) -> GraphQL:
    return GraphQL(http, live_service.url)


def every(gql: GraphQL, query: str, field: str, first: int, **variables: Any) -> list[str]:
    """All refs of a listing, page by page; checks that pages are full until the last."""
    refs: list[str] = []
    after = None
    while True:
        page = gql.ok(query, first=first, after=after, **variables)[field]
        refs.extend(n["ref"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            assert page["pageInfo"]["endCursor"] is None
            return refs
        assert len(page["nodes"]) == first
        after = page["pageInfo"]["endCursor"]


def test_runs_filter_by_name_status_tag_and_time_and_page(gql: GraphQL):
    early = [
        gql.ok(START, input={"name": "sweep", "tags": {"lr": str(i % 2)}})["startRun"]["ref"]
        for i in range(4)
    ]
    time.sleep(0.05)
    split = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    late = [gql.ok(START, input={"name": "eval"})["startRun"]["ref"] for _ in range(3)]
    gql.ok(FINISH, input={"run": early[1], "status": "FAILED"})
    gql.ok(FINISH, input={"run": late[0], "status": "COMPLETED"})

    newest_first = list(reversed(early + late))
    assert every(gql, RUNS, "runs", 2) == newest_first
    assert every(gql, RUNS, "runs", 3, filter={"name": "sweep"}) == list(reversed(early))
    assert every(gql, RUNS, "runs", 1, filter={"status": "FAILED"}) == [early[1]]
    assert every(gql, RUNS, "runs", 5, filter={"status": "RUNNING"}) == [
        r for r in newest_first if r not in (early[1], late[0])
    ]
    assert every(gql, RUNS, "runs", 5, filter={"tag": {"key": "lr", "value": "1"}}) == [
        early[3],
        early[1],
    ]
    assert every(gql, RUNS, "runs", 5, filter={"tag": {"key": "lr"}}) == list(reversed(early))
    assert every(gql, RUNS, "runs", 2, filter={"createdAfter": split}) == list(reversed(late))
    assert every(gql, RUNS, "runs", 2, filter={"createdBefore": split}) == list(reversed(early))
    both = {"createdAfter": split, "name": "sweep"}
    assert every(gql, RUNS, "runs", 2, filter=both) == []
    # a cursor from a filtered listing continues that listing
    page = gql.ok(RUNS, first=1, filter={"name": "sweep"})["runs"]
    rest = gql.ok(RUNS, first=10, after=page["pageInfo"]["endCursor"], filter={"name": "sweep"})
    assert [n["ref"] for n in rest["runs"]["nodes"]] == list(reversed(early))[1:]


def test_artifacts_filter_by_kind_name_status_tag_and_time_and_page(gql: GraphQL):
    def register(mutation: str, input_type: str, **fields: Any) -> str:
        query = f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ ref }} }}"
        ref: str = gql.ok(query, i=fields)[mutation]["ref"]
        return ref

    snaps = [
        register(
            "registerDatasetSnapshot",
            "RegisterDatasetSnapshotInput",
            name="clicks",
            version=str(v),
            tags={"team": "ads" if v % 2 else "search"},
        )
        for v in range(3)
    ]
    time.sleep(0.05)
    split = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    models = [
        register("registerModel", "RegisterModelInput", name="ranker", tags={"team": "ads"})
        for _ in range(3)
    ]
    feature = register(
        "registerFeatureDefinition",
        "RegisterFeatureDefinitionInput",
        name="ctr",
        version="1",
        sources=[snaps[0]],
    )
    assert every(gql, ARTIFACTS, "artifacts", 2, kind="MODEL") == list(reversed(models))
    assert every(gql, ARTIFACTS, "artifacts", 2, kind="DATASET_SNAPSHOT") == list(reversed(snaps))
    assert every(gql, ARTIFACTS, "artifacts", 5, kind="FEATURE_DEFINITION") == [feature]
    assert every(gql, ARTIFACTS, "artifacts", 5, kind="DATASET") == ["dataset:clicks"]
    everything = every(gql, ARTIFACTS, "artifacts", 3)
    assert sorted(everything) == sorted([*snaps, *models, feature, "dataset:clicks"])
    assert len(everything) == len(set(everything))
    ads = every(gql, ARTIFACTS, "artifacts", 2, filter={"tag": {"key": "team", "value": "ads"}})
    assert ads == [*reversed(models), snaps[1]]
    named = every(gql, ARTIFACTS, "artifacts", 5, filter={"name": "clicks"})
    assert set(named) == {*snaps, "dataset:clicks"}
    assert every(gql, ARTIFACTS, "artifacts", 5, kind="MODEL", filter={"status": "PENDING"}) == []
    assert every(
        gql, ARTIFACTS, "artifacts", 5, kind="MODEL", filter={"status": "AVAILABLE"}
    ) == list(reversed(models))
    assert (
        every(
            gql, ARTIFACTS, "artifacts", 2, kind="DATASET_SNAPSHOT", filter={"createdAfter": split}
        )
        == []
    )
    late = every(gql, ARTIFACTS, "artifacts", 2, filter={"createdAfter": split})
    assert late == [feature, *reversed(models)]
    early = every(
        gql, ARTIFACTS, "artifacts", 2, kind="DATASET_SNAPSHOT", filter={"createdBefore": split}
    )
    assert early == list(reversed(snaps))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("{ runs(first: 0) { nodes { ref } } }", "first"),
        ("{ runs(first: -1) { nodes { ref } } }", "first"),
        ("{ artifacts(first: 501) { nodes { ref } } }", "first"),
        ('{ artifacts(after: "bm90LWEtY3Vyc29y") { nodes { ref } } }', "after"),
        ('{ runs(after: "%%%") { nodes { ref } } }', "after"),
        ("{ artifacts(kind: RUN) { nodes { ref } } }", "kind"),
    ],
)
def test_listing_arguments_out_of_range_are_bad_input(gql: GraphQL, query: str, field: str):
    error = gql.error(query)
    assert (code_of(error), field_of(error)) == ("BAD_INPUT", field)
    assert code_of(
        gql.error('{ runs(filter: {createdAfter: "yesterday"}) { nodes { ref } } }')
    ) == ("BAD_INPUT")
