"""Bad input through the running service: each request gets its typed error (extensions.code, and
the field where there is one) and leaves the stored graph exactly as it was (fingerprint of every
node and relationship). Hostile names are data: stored and returned verbatim."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import neo4j
import pytest

from lineagegraph.graph.catalog import Catalog
from tests.conftest import LiveService
from tests.integration.api_helpers import GraphQL, code_of, field_of
from tests.integration.graph_helpers import fingerprint

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64

SNAPSHOT = """mutation($input: RegisterDatasetSnapshotInput!) {
  registerDatasetSnapshot(input: $input) { ref name version } }"""
FEATURE = """mutation($input: RegisterFeatureDefinitionInput!) {
  registerFeatureDefinition(input: $input) { ref } }"""
MODEL = "mutation($input: RegisterModelInput!) { registerModel(input: $input) { ref } }"
REPORT = """mutation($input: RegisterEvaluationReportInput!) {
  registerEvaluationReport(input: $input) { ref } }"""
START = "mutation($input: StartRunInput!) { startRun(input: $input) { ref name tags } }"
CONSUME = """mutation($input: LinkConsumedInput!) {
  linkConsumed(input: $input) { run { ref } artifact { ref } } }"""
PRODUCE = """mutation($input: LinkProducedInput!) {
  linkProduced(input: $input) { run { ref } artifact { ref } } }"""
LINEAGE = """query($ref: String!, $depth: Int, $kinds: [NodeKind!]) {
  lineage(ref: $ref, direction: DOWNSTREAM, depth: $depth, kinds: $kinds) { nodes { ref } } }"""
IMPACT = "query($ref: String!) { impact(ref: $ref) { total } }"
NODE = "query($ref: String!) { node(ref: $ref) { ref name version } }"
INGEST = """mutation($events: JSON!) {
  ingest(input: {events: $events}) { accepted results { ok code field } } }"""


@pytest.fixture
def gql(live_service: LiveService, http: httpx.Client) -> GraphQL:
    return GraphQL(http, live_service.url)


@pytest.fixture
def unchanged(driver: neo4j.Driver, catalog: Catalog):  # type: ignore[no-untyped-def]
    """``with unchanged():`` fails when the block changed anything stored."""

    @contextmanager
    def check() -> Iterator[None]:
        before = fingerprint(driver, catalog)
        yield
        assert fingerprint(driver, catalog) == before

    return check


@pytest.fixture
def small_graph(gql: GraphQL) -> dict[str, str]:
    """dataset:raw@1 -> run -> model:m@1, and an empty run."""
    gql.ok(SNAPSHOT, input={"name": "raw", "version": "1", "digest": DIGEST_A})
    run = gql.ok(START, input={"name": "train"})["startRun"]["ref"]
    gql.ok(CONSUME, input={"run": run, "artifact": "dataset:raw@1"})
    gql.ok(MODEL, input={"name": "m", "version": "1", "producedBy": run})
    idle = gql.ok(START, input={"name": "idle"})["startRun"]["ref"]
    return {"run": run, "idle": idle, "snapshot": "dataset:raw@1", "model": "model:m@1"}


def expect(gql: GraphQL, code: str, field: str | None, query: str, **variables: object) -> None:
    error = gql.error(query, **variables)
    assert (code_of(error), field_of(error)) == (code, field), error
    assert "Traceback" not in str(error)


MALFORMED = [
    "",
    "nonsense",
    "dataset:",
    "dataset:x@",
    "bogus:x@1",
    "model:x",  # needs a version
    "run:not-a-uuid",
    "dataset:a\x00b@1",
    "model:" + "n" * 5000 + "@1",
]


@pytest.mark.parametrize("ref", MALFORMED)
def test_malformed_refs_are_bad_input_naming_the_field(
    gql: GraphQL, small_graph: dict[str, str], unchanged, ref: str
):
    with unchanged():
        expect(gql, "BAD_INPUT", "ref", NODE, ref=ref)
        expect(gql, "BAD_INPUT", "ref", IMPACT, ref=ref)
        expect(gql, "BAD_INPUT", "ref", LINEAGE, ref=ref)
        if ref.startswith("run:") or ":" not in ref:
            expect(gql, "BAD_INPUT", "input.run", CONSUME, input={"run": ref, "artifact": "x"})
        else:
            expect(
                gql,
                "BAD_INPUT",
                "input.artifact",
                CONSUME,
                input={"run": small_graph["idle"], "artifact": ref},
            )


@pytest.mark.parametrize("depth", [0, 51, -1, 2**31 - 1])
def test_depth_outside_1_to_50_is_bad_input(
    gql: GraphQL, small_graph: dict[str, str], unchanged, depth: int
):
    with unchanged():
        expect(gql, "BAD_INPUT", "depth", LINEAGE, ref=small_graph["snapshot"], depth=depth)
    for ok in (1, 50, None):  # the bounds and the default
        assert gql.ok(LINEAGE, ref=small_graph["snapshot"], depth=ok)["lineage"]["nodes"]


def test_unknown_kinds_are_bad_input(gql: GraphQL, small_graph: dict[str, str], unchanged):
    with unchanged():
        expect(gql, "BAD_INPUT", None, LINEAGE, ref=small_graph["snapshot"], kinds=["ROBOT"])
        error = gql.error(
            '{ lineage(ref: "dataset:raw@1", direction: SIDEWAYS) { nodes { ref } } }'
        )
        assert code_of(error) == "BAD_INPUT"
        assert code_of(gql.error("{ artifacts(kind: ROBOT) { nodes { ref } } }")) == "BAD_INPUT"
        expect(gql, "BAD_INPUT", "kind", "{ artifacts(kind: RUN) { nodes { ref } } }")
        robot = {"event_id": "e1", "type": "artifact_registered", "artifact": {"kind": "ROBOT"}}
        result = gql.ok(INGEST, events=[robot])["ingest"]
        assert result["accepted"] == 0
        assert result["results"][0]["code"] == "BAD_INPUT"


HOSTILE = [
    'o\'brien "quoted" `tick`',
    "x'}) MATCH (n) DETACH DELETE n //",
    '"}) RETURN 1 UNION MATCH (n) SET n.pwned = true //',
    "$ref {ref: $ref} \\u0027 \\",
    "数据集-ñ-Ωmega-🚀-\u200b-עברית",
    "  spaced  ",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_and_unicode_names_are_stored_and_returned_verbatim(
    gql: GraphQL, small_graph: dict[str, str], driver: neo4j.Driver, name: str
):
    snap = gql.ok(SNAPSHOT, input={"name": name, "version": name + "-v"})["registerDatasetSnapshot"]
    assert (snap["name"], snap["version"]) == (name, name + "-v")
    ref = f"dataset:{name}@{name}-v"
    assert snap["ref"] == ref
    assert gql.ok(NODE, ref=ref)["node"] == {"ref": ref, "name": name, "version": name + "-v"}
    run = gql.ok(START, input={"name": name, "tags": {name: name}})["startRun"]
    assert (run["name"], run["tags"]) == (name, {name: name})
    gql.ok(CONSUME, input={"run": run["ref"], "artifact": f"dataset:{name}"})  # by dataset name
    model = gql.ok(MODEL, input={"name": name, "producedBy": run["ref"]})["registerModel"]["ref"]
    assert model == f"model:{name}@1"
    down = gql.ok(LINEAGE, ref=f"dataset:{name}", depth=5)["lineage"]["nodes"]
    assert [n["ref"] for n in down] == [ref, run["ref"], model]
    listed = gql.ok(
        "query($n: String) { artifacts(kind: DATASET_SNAPSHOT, filter: {name: $n}) "
        "{ nodes { ref name } } }",
        n=name,
    )["artifacts"]["nodes"]
    assert listed == [{"ref": ref, "name": name}]
    # nothing was executed: the earlier graph is whole and no property was set by a fragment
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE n.pwned IS NOT NULL RETURN count(n) AS pwned"
    )
    assert records[0]["pwned"] == 0
    for before in small_graph.values():
        assert gql.ok(NODE, ref=before)["node"]["ref"] == before


@pytest.mark.parametrize(
    ("name", "field"),
    [("has@at", "name"), ("", "name"), ("ctl\x07", "name")],
)
def test_names_that_cannot_be_refs_are_bad_input(
    gql: GraphQL, small_graph: dict[str, str], unchanged, name: str, field: str
):
    with unchanged():
        expect(gql, "BAD_INPUT", field, SNAPSHOT, input={"name": name, "version": "1"})


def test_refs_that_do_not_exist_are_not_found(gql: GraphQL, small_graph: dict[str, str], unchanged):
    ghost_run = f"run:{uuid.uuid4()}"
    idle = small_graph["idle"]
    with unchanged():
        for ref in ("dataset:ghost@1", "dataset:ghost", "feature:ghost@1", "model:ghost@1"):
            expect(
                gql, "NOT_FOUND", "input.artifact", CONSUME, input={"run": idle, "artifact": ref}
            )
            expect(gql, "NOT_FOUND", "ref", IMPACT, ref=ref)
            expect(gql, "NOT_FOUND", "ref", LINEAGE, ref=ref)
            expect(gql, "NOT_FOUND", "ref", NODE, ref=ref)
        expect(
            gql,
            "NOT_FOUND",
            "input.run",
            CONSUME,
            input={"run": ghost_run, "artifact": small_graph["snapshot"]},
        )
        expect(
            gql,
            "NOT_FOUND",
            "input.producedBy",
            MODEL,
            input={"name": "orphan", "version": "1", "producedBy": ghost_run},
        )
        expect(
            gql,
            "NOT_FOUND",
            "input.sources",
            FEATURE,
            input={"name": "f", "version": "1", "sources": ["dataset:ghost@1"]},
        )
        expect(
            gql,
            "NOT_FOUND",
            "input.evaluates",
            REPORT,
            input={"name": "r", "version": "1", "evaluates": "model:ghost@1"},
        )
        expect(gql, "NOT_FOUND", "input.parent", START, input={"name": "c", "parent": ghost_run})
        result = gql.ok(
            INGEST,
            events=[
                {"type": "artifact_consumed", "run_id": idle[4:], "ref": "dataset:ghost@1"},
                {"type": "artifact_consumed", "run_id": ghost_run[4:], "ref": "dataset:raw@1"},
            ],
        )["ingest"]
        assert result["accepted"] == 0
        assert [(r["code"], r["field"]) for r in result["results"]] == [
            ("NOT_FOUND", "ref"),
            ("NOT_FOUND", "run_id"),
        ]


def test_cycle_attempts_are_refused(gql: GraphQL, small_graph: dict[str, str], unchanged):
    run, model = small_graph["run"], small_graph["model"]
    # a second step: model:m@1 -> run2 -> dataset:derived@1
    run2 = gql.ok(START, input={"name": "score"})["startRun"]["ref"]
    gql.ok(CONSUME, input={"run": run2, "artifact": model})
    gql.ok(SNAPSHOT, input={"name": "derived", "version": "1", "producedBy": run2})
    with unchanged():
        # the run consuming what it produced, directly or two steps downstream
        expect(gql, "CYCLE", "input.artifact", CONSUME, input={"run": run, "artifact": model})
        expect(
            gql,
            "CYCLE",
            "input.artifact",
            CONSUME,
            input={"run": run, "artifact": "dataset:derived@1"},
        )
        # a run producing something upstream of itself
        expect(
            gql,
            "CYCLE",
            "input.artifact",
            PRODUCE,
            input={"run": run2, "artifact": "dataset:raw@1"},
        )
    # within one batch: a run consuming the model it produced in the same batch (the rest applies)
    fresh = str(uuid.uuid4())
    result = gql.ok(
        INGEST,
        events=[
            {"type": "run_started", "run_id": fresh, "name": "loop"},
            {
                "type": "artifact_registered",
                "artifact": {"kind": "MODEL", "name": "loop", "version": "1"},
                "produced_by": fresh,
            },
            {"type": "artifact_consumed", "run_id": fresh, "ref": "model:loop@1"},
        ],
    )["ingest"]
    assert [r["code"] for r in result["results"]] == [None, None, "CYCLE"]
    impact = gql.ok(IMPACT, ref="dataset:raw@1")["impact"]["total"]
    assert impact == 4  # run, model, run2, derived: no loop edge


def test_conflicting_registrations_are_refused(
    gql: GraphQL, small_graph: dict[str, str], unchanged
):
    with unchanged():
        expect(
            gql,
            "IMMUTABLE_CONFLICT",
            "input.digest",
            SNAPSHOT,
            input={"name": "raw", "version": "1", "digest": DIGEST_B},
        )
        expect(
            gql,
            "CONFLICT",
            "input.artifact",
            PRODUCE,
            input={"run": small_graph["idle"], "artifact": small_graph["model"]},
        )
        expect(gql, "BAD_INPUT", "input.digest", SNAPSHOT, input={"name": "z", "digest": "md5:1"})
    # the same registration again is idempotent
    again = gql.ok(SNAPSHOT, input={"name": "raw", "version": "1", "digest": DIGEST_A})
    assert again["registerDatasetSnapshot"]["ref"] == "dataset:raw@1"
