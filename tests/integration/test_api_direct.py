"""Prepared queries answered directly (api/direct.py) get exactly strawberry's responses.

Two services on the same graph, one with ``direct_queries`` (the default) and one without; every
request goes to both, twice (the first use of a query text is strawberry's on both: it parses and
validates the text). The second answers must match byte for byte (status, content type, body), and
the direct service must have answered exactly the requests it is meant to answer itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import neo4j.exceptions
import pytest
from starlette.routing import Route

from lineagegraph.api.schema import LineageGraphQL
from lineagegraph.config import Settings
from lineagegraph.graph.store import GraphStore
from tests.conftest import LiveService, run_service
from tests.integration.graph_helpers import DIGEST_A, consumed, registered, started

INGEST = """mutation($events: JSON!) { ingest(input: {events: $events}) { accepted } }"""
IMPACT = """query($ref: String!) { impact(ref: $ref) { total truncated
  runs { ref name version depth } datasetSnapshots { ref name version depth }
  featureDefinitions { ref name version depth } models { ref name version depth }
  evaluationReports { ref name version depth } } }"""
LINEAGE = """query($ref: String!, $direction: LineageDirection!, $depth: Int,
  $kinds: [NodeKind!]) { lineage(ref: $ref, direction: $direction, depth: $depth, kinds: $kinds)
  { nodes { ref kind name version depth } edges { from to kind } truncated } }"""
NODE = """query($ref: String!) { node(ref: $ref) { __typename ref kind name version
  ... on Model { framework producedBy { ref status } } ... on Run { status consumed { ref } } } }"""
RUNS = """query($first: Int!, $after: String) { runs(first: $first, after: $after) {
  nodes { ref name status } pageInfo { hasNextPage endCursor } } }"""
TWO_OPERATIONS = """query Read($ref: String!) { node(ref: $ref) { ref } }
mutation Write($input: StartRunInput!) { startRun(input: $input) { ref } }"""


@dataclass(frozen=True)
class Case:
    name: str
    body: dict[str, Any]
    direct: bool  # answered by api/direct.py (else by strawberry)
    content_type: str = "application/json"


def _cases(snapshot: str, model: str, run: str) -> list[Case]:
    def q(query: str, **variables: Any) -> dict[str, Any]:
        return {"query": query, "variables": variables}

    down = {"ref": snapshot, "direction": "DOWNSTREAM"}
    return [
        Case("impact", q(IMPACT, ref=snapshot), True),
        Case("impact of the logical dataset", q(IMPACT, ref="dataset:direct-ds"), True),
        Case(
            "impact, charset given", q(IMPACT, ref=model), True, "application/json; charset=utf-8"
        ),
        Case("lineage down", q(LINEAGE, **down, depth=5), True),
        Case("lineage down, kinds", q(LINEAGE, **down, depth=3, kinds=["MODEL"]), True),
        Case("lineage up", q(LINEAGE, ref=model, direction="UPSTREAM"), True),
        Case("lineage depth 0", q(LINEAGE, **down, depth=0), True),
        Case("lineage depth 51", q(LINEAGE, **down, depth=51), True),
        Case("unknown ref", q(IMPACT, ref="model:nobody@1"), True),
        Case("malformed ref", q(IMPACT, ref="not a ref'); MATCH (n) DETACH DELETE n //"), True),
        Case("unknown enum in variables", q(LINEAGE, ref=model, direction="SIDEWAYS"), True),
        Case("missing variable", q(LINEAGE, direction="UPSTREAM"), True),
        Case("wrong variable type", q(IMPACT, ref=12), True),
        Case("unicode ref", q(NODE, ref="model:mödel-\u202e-😀@1"), True),
        Case("node with fragments", q(NODE, ref=model), True),
        Case("run node", q(NODE, ref=run), True),
        Case("listing", q(RUNS, first=1), True),
        Case("listing, bad page size", q(RUNS, first=0), True),
        Case("no variables key", {"query": "{ serviceVersion }"}, True),
        Case("null variables", {"query": "{ serviceVersion }", "variables": None}, True),
        Case(
            "operation name picks the query",
            {**q(TWO_OPERATIONS, ref=model), "operationName": "Read"},
            True,
        ),
        # strawberry's, on both services:
        Case(
            "operation name picks the mutation",
            {**q(TWO_OPERATIONS, input={"nonsense": 1}), "operationName": "Write"},
            False,
        ),
        Case("operation name unknown", {**q(TWO_OPERATIONS), "operationName": "Nope"}, False),
        Case("two operations, no name", q(TWO_OPERATIONS, ref=model), False),
        Case("extensions given", {**q(IMPACT, ref=model), "extensions": {}}, False),
        Case("syntax error", q("{ impact(ref: "), False),
        Case("unknown field", q("{ nothing }"), False),
        Case(
            "too deep",
            q(
                "{ __schema { types { fields { type { ofType { ofType { ofType { "
                "ofType { ofType { ofType { ofType { name } } } } } } } } } } }"
            ),
            False,
        ),
        Case("not an object", {"query": 1}, False),
        Case("a batch", [q(IMPACT, ref=model)], False),  # type: ignore[arg-type]
        Case("variables not an object", {"query": "{ serviceVersion }", "variables": [1]}, False),
        Case("text/plain body", q(IMPACT, ref=model), False, "text/plain"),
        Case("mutation", q(INGEST, events=[]), False),
    ]


def _view(service: LiveService) -> LineageGraphQL:
    app = service.server.config.app
    route = next(r for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    view = route.endpoint
    assert isinstance(view, LineageGraphQL)
    return view


def _post(http: httpx.Client, url: str, case: Case) -> tuple[int, str | None, bytes]:
    response = http.post(
        url + "/graphql",
        content=json.dumps(case.body).encode(),
        headers={"content-type": case.content_type},
    )
    return response.status_code, response.headers.get("content-type"), response.content


@pytest.fixture
def both(settings: Settings) -> Iterator[tuple[LiveService, LiveService]]:
    with (
        run_service(settings) as direct,
        run_service(settings.model_copy(update={"direct_queries": False})) as plain,
    ):
        assert _view(direct).direct is not None
        assert _view(plain).direct is None
        yield direct, plain


def _graph(http: httpx.Client, url: str) -> tuple[str, str, str]:
    run = str(uuid.uuid4())
    snapshot = registered("DATASET_SNAPSHOT", "direct-ds", "1", digest=DIGEST_A)
    model = registered("MODEL", "mödel-\u202e-😀", "1", framework="torch", produced_by=run)
    events = [started(run), snapshot, consumed(run, "dataset:direct-ds@1"), model]
    for i, event in enumerate(events):
        event["event_id"] = f"e{i}"
    body = http.post(url + "/graphql", json={"query": INGEST, "variables": {"events": events}})
    assert body.json()["data"]["ingest"]["accepted"] == len(events), body.text
    return "dataset:direct-ds@1", "model:mödel-\u202e-😀@1", f"run:{run}"


def test_direct_answers_equal_strawberrys(
    both: tuple[LiveService, LiveService], http: httpx.Client
) -> None:
    direct, plain = both
    cases = _cases(*_graph(http, direct.url))
    view = _view(direct).direct
    assert view is not None
    for case in cases:
        first = _post(http, direct.url, case)
        assert _post(http, plain.url, case) == first, case.name  # both strawberry's so far
        answered = view.answered
        again = _post(http, direct.url, case)
        assert view.answered == answered + case.direct, case.name
        assert again == _post(http, plain.url, case), case.name
    # the cases cover what they claim: data, typed errors, and strawberry's own refusals
    sample = {c.name: json.loads(_post(http, direct.url, c)[2]) for c in cases[:12]}
    assert sample["impact"]["data"]["impact"]["total"] == 2
    assert sample["lineage depth 0"]["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert sample["unknown ref"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert sample["unknown enum in variables"]["errors"][0]["extensions"]["code"] == "BAD_INPUT"


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (RuntimeError("secret: password=hunter2"), 200, "INTERNAL"),
        (neo4j.exceptions.ServiceUnavailable("no route"), 503, "UNAVAILABLE"),
    ],
)
def test_direct_failures_are_shaped_as_strawberry_shapes_them(
    both: tuple[LiveService, LiveService],
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    status: int,
    code: str,
) -> None:
    direct, plain = both
    case = Case("impact", {"query": IMPACT, "variables": {"ref": "dataset:x@1"}}, True)
    _post(http, direct.url, case)  # prepared

    def broken(self: GraphStore, ref: str) -> None:
        raise failure

    monkeypatch.setattr(GraphStore, "impact", broken)
    view = _view(direct).direct
    assert view is not None
    answered = view.answered
    got = _post(http, direct.url, case)
    assert view.answered == answered + 1
    assert got == _post(http, plain.url, case)
    assert got[0] == status
    body = json.loads(got[2])
    assert body["errors"][0]["extensions"]["code"] == code
    assert "hunter2" not in got[2].decode()


def test_direct_answers_need_the_token_strawberry_needs(
    settings: Settings, http: httpx.Client
) -> None:
    locked = settings.model_copy(update={"auth_enabled": True})
    case = Case("impact", {"query": IMPACT, "variables": {"ref": "dataset:x@1"}}, True)
    with (
        run_service(locked) as direct,
        run_service(locked.model_copy(update={"direct_queries": False})) as plain,
    ):
        view = _view(direct).direct
        assert view is not None
        _post(http, direct.url, case)
        got = _post(http, direct.url, case)
        assert view.answered == 1
        assert got == _post(http, plain.url, case)
        assert json.loads(got[2])["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("escaping", "message", "code"),
    [
        # graphql-core's own refusal: the client sees it as it is, with a code
        ("graphql", "execution refused", "BAD_INPUT"),
        # a bug escaping execution (not inside a resolver): masked, like one inside a resolver
        ("bug", "internal error", "INTERNAL"),
    ],
)
def test_an_error_escaping_execution_is_shaped_on_both_paths(
    both: tuple[LiveService, LiveService],
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    escaping: str,
    message: str,
    code: str,
) -> None:
    """An exception raised by graphql-core's ``execute`` itself, not inside a resolver, is the
    operation's error, shaped the same on both paths: strawberry builds that result after its
    extensions have exited, so shaping lives in the schema's ``process_errors`` (it once went
    unshaped there: a bug's message reached the client without a code). The direct path once
    made such a GraphQLError its own cause, and shaping it never ended."""
    import strawberry.schema.schema as strawberry_schema
    from graphql import GraphQLError

    from lineagegraph.api import direct as direct_module

    direct, plain = both
    case = Case("impact", {"query": IMPACT, "variables": {"ref": "dataset:x@1"}}, True)
    for service in both:
        _post(http, service.url, case)  # prepared
    view = _view(direct).direct
    assert view is not None

    def refuse(*args: Any, **kwargs: Any) -> None:
        if escaping == "graphql":
            raise GraphQLError("execution refused")
        raise KeyError("secret: password=hunter2")

    monkeypatch.setattr(direct_module, "execute", refuse)
    monkeypatch.setattr(strawberry_schema, "execute", refuse)
    answered = view.answered
    with caplog.at_level("ERROR", logger="lineagegraph.api"):
        got = _post(http, direct.url, case)
        assert view.answered == answered + 1
        assert got == _post(http, plain.url, case)
    status, _, body = got
    (error,) = json.loads(body)["errors"]
    assert (status, error["message"], error["extensions"]) == (200, message, {"code": code})
    assert "hunter2" not in body.decode()
    logged = [r for r in caplog.records if r.exc_info and "hunter2" in str(r.exc_info[1])]
    assert len(logged) == (2 if escaping == "bug" else 0)  # once per service, server-side only
