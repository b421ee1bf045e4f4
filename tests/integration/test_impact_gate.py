"""Impact analysis, deprecation, deployments and the release gate through the running service.

The world: a raw snapshot feeds two feature definitions and an ETL run (a derived dataset);
three training runs make models with evaluation reports; one model serves in prod. Then: the
impact of the raw snapshot is exactly what lies downstream, with depths and paths; deprecating
it flags every downstream model; the gate fails a model trained on it and passes one that is
not; with the block policy the service refuses a new consume. Gate cases run through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import lineagegraph as lg
from lineagegraph.cli.main import main as lineage_main
from tests.conftest import LiveService, run_service
from tests.integration.api_helpers import GraphQL, code_of

RAW = "dataset:raw_events@v1"
OTHER = "dataset:other_events@v1"


def digest(seed: str) -> str:
    return "sha256:" + uuid.uuid5(uuid.NAMESPACE_URL, seed).hex * 2


GOOD_PROVENANCE: dict[str, Any] = {
    "code": {"commit": "abc123", "dirty": False},
    "environment": {"packages_digest": digest("env")},
    "seeds": {"random": 42, "numpy": 42},
    "user": "ada",
}

SNAPSHOT = """mutation($input: RegisterDatasetSnapshotInput!) {
  registerDatasetSnapshot(input: $input) { ref } }"""
FEATURE = """mutation($input: RegisterFeatureDefinitionInput!) {
  registerFeatureDefinition(input: $input) { ref } }"""
START = "mutation($input: StartRunInput!) { startRun(input: $input) { ref } }"
FINISH = "mutation($input: FinishRunInput!) { finishRun(input: $input) { ref } }"
CONSUME = """mutation($input: LinkConsumedInput!) {
  linkConsumed(input: $input) { artifact { ref } } }"""
MODEL = "mutation($input: RegisterModelInput!) { registerModel(input: $input) { ref } }"
REPORT = """mutation($input: RegisterEvaluationReportInput!) {
  registerEvaluationReport(input: $input) { ref } }"""
DEPLOY = """mutation($input: RecordDeploymentInput!) {
  recordDeployment(input: $input) { replaced deployment { model env by current } } }"""
DEPRECATE = """mutation($input: DeprecateInput!) { deprecate(input: $input) { ref artifacts } }"""
UNDEPRECATE = """mutation($input: UndeprecateInput!) {
  undeprecate(input: $input) { ref artifacts } }"""
VERIFY = """mutation($input: VerifyRunsInput!) {
  verifyRuns(input: $input) { ref passed levelAchieved } }"""
INGEST = """mutation($events: JSON!) {
  ingest(input: {events: $events}) { accepted results { eventId ok code message warning } } }"""
UPSTREAM = """query($ref: String!) { node(ref: $ref) { ref ... on Artifact {
  deprecation { reason sunset replacement deprecatedBy deprecatedAt }
  deprecatedUpstream { ref depth path deprecation { reason sunset replacement } } } } }"""


@dataclass
class World:
    gql: GraphQL
    url: str
    runs: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    reruns: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (run, model)

    # --- building blocks ---------------------------------------------------------------------
    def snapshot(self, name: str, version: str, **tags: str) -> str:
        ref: str = self.gql.ok(
            SNAPSHOT,
            input={
                "name": name,
                "version": version,
                "digest": digest(name + version),
                "tags": tags,
            },
        )["registerDatasetSnapshot"]["ref"]
        return ref

    def run(
        self,
        key: str,
        consumes: list[str],
        provenance: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        parent: str | None = None,
    ) -> str:
        ref: str = self.gql.ok(
            START,
            input={
                "name": key,
                "provenance": provenance if provenance is not None else GOOD_PROVENANCE,
                "tags": tags or {},
                "parent": parent,
            },
        )["startRun"]["ref"]
        for artifact in consumes:
            self.gql.ok(CONSUME, input={"run": ref, "artifact": artifact})
        self.runs[key] = ref
        return ref

    def finish(self, run: str) -> None:
        self.gql.ok(FINISH, input={"run": run, "status": "COMPLETED"})

    def model(self, run: str, name: str, version: str, weights: str) -> str:
        ref: str = self.gql.ok(
            MODEL,
            input={
                "name": name,
                "version": version,
                "digest": digest(weights),
                "producedBy": run,
                "framework": "numpy",
            },
        )["registerModel"]["ref"]
        return ref

    def report(
        self, model: str, auc: tuple[float, float, float], fr: float = 0.85, name: str = "holdout"
    ) -> str:
        value, low, high = auc
        slices = {
            "overall": {"auc": {"value": value, "low": low, "high": high}},
            "country=FR": {"auc": {"value": fr, "low": fr - 0.02, "high": fr + 0.02}},
            "country=DE": {"auc": {"value": 0.86, "low": 0.84, "high": 0.88}},
        }
        ref: str = self.gql.ok(
            REPORT,
            input={
                "name": name,
                "version": model.rsplit("@", 1)[1] + "-" + model.split(":")[1].split("@")[0],
                "evaluates": model,
                "metrics": {"auc": value},
                "slices": slices,
            },
        )["registerEvaluationReport"]["ref"]
        return ref

    def verify_bitwise(self, run: str, name: str, weights: str, consumes: list[str]) -> None:
        """Re-run the recipe: same inputs, a model with the same bytes; verified bitwise."""
        rerun = self.run(f"{name}-rerun", consumes)
        model = self.model(rerun, name, "1-rerun", weights)
        self.finish(rerun)
        self.reruns[name] = (rerun, model)
        check = self.gql.ok(VERIFY, input={"level": "BITWISE", "a": run, "b": rerun})["verifyRuns"]
        assert check["passed"], check

    def trained(
        self,
        key: str,
        *,
        consumes: list[str],
        auc: tuple[float, float, float],
        fr: float = 0.85,
        provenance: dict[str, Any] | None = None,
        verify: bool = True,
        tags: dict[str, str] | None = None,
    ) -> str:
        """A training run making model:<key>@1 with a holdout report; verified unless told."""
        run = self.run(f"train-{key}", consumes, provenance, tags)
        weights = f"weights-{key}"
        model = self.model(run, key, "1", weights)
        self.finish(run)
        self.models[key] = model
        self.reports[key] = self.report(model, auc, fr)
        if verify:
            self.verify_bitwise(run, key, weights, consumes)
        return model


def cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = lineage_main([*args, "--url", url])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def world(live_service: LiveService, http: httpx.Client) -> World:
    """The realistic graph of the module docstring (built through the GraphQL mutations)."""
    w = World(GraphQL(http, live_service.url), live_service.url)
    raw = w.snapshot("raw_events", "v1", owner="data-eng", team="platform")
    w.snapshot("other_events", "v1", owner="data-eng")
    sessions = w.gql.ok(
        FEATURE,
        input={"name": "sessions", "version": "1", "sources": [raw], "digest": digest("s")},
    )["registerFeatureDefinition"]["ref"]
    clicks = w.gql.ok(
        FEATURE,
        input={"name": "clicks", "version": "1", "sources": [raw], "digest": digest("c")},
    )["registerFeatureDefinition"]["ref"]
    etl = w.run("etl", [raw], tags={"owner": "bob", "team": "platform"})
    clean = w.gql.ok(
        SNAPSHOT,
        input={
            "name": "clean_events",
            "version": "v1",
            "digest": digest("clean"),
            "producedBy": etl,
        },
    )["registerDatasetSnapshot"]["ref"]
    w.finish(etl)
    growth = {"owner": "alice", "team": "growth"}
    # three training runs: churn@1 on raw (feature + derived dataset), ctr on raw (feature),
    # churn2 on another dataset only
    w.trained("churn", consumes=[sessions, clean], auc=(0.80, 0.78, 0.82), tags=growth)
    w.trained("ctr", consumes=[clicks], auc=(0.90, 0.88, 0.92), tags={"owner": "carol"})
    w.trained("churn2", consumes=[OTHER], auc=(0.90, 0.88, 0.92), tags=growth)
    deployed = w.gql.ok(DEPLOY, input={"model": w.models["churn"], "env": "prod"})
    assert deployed["recordDeployment"]["deployment"] == {
        "model": w.models["churn"],
        "env": "prod",
        "by": "local (auth disabled)",
        "current": True,
    }
    w.runs.update(sessions=sessions, clicks=clicks, clean=clean)
    return w


def _expected_impact(w: World) -> dict[str, tuple[int, list[str]]]:
    a, b = w.runs["train-churn"], w.runs["train-ctr"]
    sessions, clicks, clean, etl = (
        w.runs["sessions"],
        w.runs["clicks"],
        w.runs["clean"],
        w.runs["etl"],
    )
    churn, ctr = w.models["churn"], w.models["ctr"]
    # the reproductions that verified churn and ctr read the same inputs: downstream too
    (ra, churn_again), (rb, ctr_again) = w.reruns["churn"], w.reruns["ctr"]
    return {
        ra: (2, [RAW, sessions, ra]),
        rb: (2, [RAW, clicks, rb]),
        churn_again: (3, [RAW, sessions, ra, churn_again]),
        ctr_again: (3, [RAW, clicks, rb, ctr_again]),
        sessions: (1, [RAW, sessions]),
        clicks: (1, [RAW, clicks]),
        etl: (1, [RAW, etl]),
        clean: (2, [RAW, etl, clean]),
        a: (2, [RAW, sessions, a]),
        b: (2, [RAW, clicks, b]),
        churn: (3, [RAW, sessions, a, churn]),
        ctr: (3, [RAW, clicks, b, ctr]),
        w.reports["churn"]: (4, [RAW, sessions, a, churn, w.reports["churn"]]),
        w.reports["ctr"]: (4, [RAW, clicks, b, ctr, w.reports["ctr"]]),
    }


def test_impact_of_the_raw_snapshot_lists_exactly_what_is_downstream(
    world: World, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = cli(capsys, world.url, "impact", RAW, "--format", "json")
    assert code == 0
    report = json.loads(out)
    expected = _expected_impact(world)
    items = [
        i
        for key in ("models", "evaluationReports", "runs", "datasetSnapshots", "featureDefinitions")
        for i in report[key]
    ]
    assert {i["ref"]: (i["depth"], i["path"]) for i in items} == expected
    assert report["total"] == len(expected)
    # the deployed model is flagged and listed first; owners come from tags, else the run's
    assert report["deployedModels"] == [world.models["churn"]]
    first = report["models"][0]
    assert (first["ref"], first["deployedIn"]) == (world.models["churn"], ["prod"])
    assert (first["producedBy"], first["owner"], first["team"]) == (
        world.runs["train-churn"],
        "alice",
        "growth",
    )
    assert [m["deployedIn"] for m in report["models"]] == [["prod"], [], [], []]
    etl = next(i for i in report["runs"] if i["ref"] == world.runs["etl"])
    assert (etl["owner"], etl["team"], etl["producedBy"]) == ("bob", "platform", None)
    # the other dataset's model is not affected
    assert world.models["churn2"] not in {i["ref"] for i in items}

    # --depth cuts the walk; the CSV has one row per item with the same paths
    code, out, _ = cli(capsys, world.url, "impact", RAW, "--format", "json", "--depth", "2")
    shallow = json.loads(out)
    assert shallow["total"] == sum(1 for d, _ in expected.values() if d <= 2)
    code, out, _ = cli(capsys, world.url, "impact", RAW, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["ref"]: (int(r["depth"]), r["path"].split(" > ")) for r in rows} == expected
    assert rows[0]["ref"] == world.models["churn"]
    assert rows[0]["deployed_in"] == "prod"
    # the table names every item and flags the deployed model
    code, out, _ = cli(capsys, world.url, "impact", RAW)
    assert code == 0
    assert "DEPLOYED prod" in out
    assert all(ref in out for ref in expected)
    # a dataset:<name> ref is the union over its snapshots
    code, out, _ = cli(capsys, world.url, "impact", "dataset:raw_events", "--format", "json")
    assert json.loads(out)["roots"] == [RAW]
    assert json.loads(out)["total"] == len(expected)
    # unknown ref: exit 2 with the error
    code, _, err = cli(capsys, world.url, "impact", "dataset:nope@1")
    assert code == 2
    assert "does not exist" in err


def test_deprecating_the_raw_snapshot_flags_every_downstream_model(
    world: World, capsys: pytest.CaptureFixture[str]
):
    # the dry run prints what would be marked and the impact, and changes nothing
    code, out, _ = cli(capsys, world.url, "deprecate", RAW, "--reason", "PII leak", "--dry-run")
    assert code == 0
    assert "would mark deprecated: " + RAW in out
    assert world.models["ctr"] in out
    node = world.gql.ok(UPSTREAM, ref=world.models["ctr"])["node"]
    assert node["deprecatedUpstream"] == []

    code, out, _ = cli(
        capsys,
        world.url,
        "deprecate",
        RAW,
        "--reason",
        "PII leak",
        "--sunset",
        "2027-03-01",
        "--replacement",
        OTHER,
    )
    assert code == 0
    assert RAW in out
    own = world.gql.ok(UPSTREAM, ref=RAW)["node"]["deprecation"]
    assert own["reason"] == "PII leak"
    assert own["sunset"] == "2027-03-01"
    assert own["replacement"] == OTHER
    assert own["deprecatedBy"] == "local (auth disabled)"
    assert own["deprecatedAt"]
    expected = _expected_impact(world)
    downstream_models = [ref for ref in expected if ref.startswith("model:")]
    assert len(downstream_models) == 4
    for ref in [*downstream_models, world.reports["churn"], world.reports["ctr"]]:
        (item,) = world.gql.ok(UPSTREAM, ref=ref)["node"]["deprecatedUpstream"]
        assert item["ref"] == RAW
        assert (item["depth"], item["path"]) == expected[ref]
        assert item["deprecation"] == {
            "reason": "PII leak",
            "sunset": "2027-03-01",
            "replacement": OTHER,
        }
    assert world.gql.ok(UPSTREAM, ref=world.models["churn2"])["node"]["deprecatedUpstream"] == []

    # undeprecate reverses it; a dataset:<name> deprecates every snapshot
    assert world.gql.ok(UNDEPRECATE, input={"ref": RAW})["undeprecate"]["artifacts"] == [RAW]
    assert world.gql.ok(UPSTREAM, ref=world.models["ctr"])["node"]["deprecatedUpstream"] == []
    world.snapshot("raw_events", "v2")
    marked = world.gql.ok(DEPRECATE, input={"ref": "dataset:raw_events", "reason": "old"})
    assert marked["deprecate"]["artifacts"] == [RAW, "dataset:raw_events@v2"]
    code, out, _ = cli(capsys, world.url, "undeprecate", "dataset:raw_events")
    assert code == 0
    assert "dataset:raw_events@v2" in out

    # bad input: runs cannot be deprecated, a reason is needed, the replacement must exist
    err = world.gql.error(DEPRECATE, input={"ref": world.runs["etl"], "reason": "x"})
    assert code_of(err) == "BAD_INPUT"
    err = world.gql.error(DEPRECATE, input={"ref": RAW, "reason": "  "})
    assert code_of(err) == "BAD_INPUT"
    err = world.gql.error(
        DEPRECATE, input={"ref": RAW, "reason": "x", "replacement": "dataset:nope@1"}
    )
    assert code_of(err) == "NOT_FOUND"
    assert "dataset:nope@1" in err["message"]
    err = world.gql.error(DEPRECATE, input={"ref": "dataset:nope@1", "reason": "x"})
    assert code_of(err) == "NOT_FOUND"


def _consume_event(run: str, ref: str) -> dict[str, Any]:
    return {
        "type": "artifact_consumed",
        "event_id": uuid.uuid4().hex,
        "run_id": run.removeprefix("run:"),
        "ref": ref,
    }


def test_consuming_a_deprecated_snapshot_warns_or_is_refused(
    world: World, live_service: LiveService, http: httpx.Client, tmp_path: Path
):
    world.gql.ok(DEPRECATE, input={"ref": RAW, "reason": "PII leak", "replacement": OTHER})
    # warn (the default): accepted with a warning in the result; the SDK shows a LineageWarning
    run = world.run("late-reader", [])
    (result,) = world.gql.ok(INGEST, events=[_consume_event(run, RAW)])["ingest"]["results"]
    assert result["ok"]
    assert "dataset:raw_events@v1 is deprecated: PII leak" in result["warning"]
    assert f"use {OTHER} instead" in result["warning"]
    client = lg.Client(url=live_service.url, spool_dir=tmp_path / "spool", handle_sigterm=False)
    try:
        with client.start_run(
            "sdk-reader", code=False, environment=False, hardware=False
        ) as sdk_run:
            sdk_run.consume(RAW)
            with pytest.warns(lg.LineageWarning, match="raw_events@v1 is deprecated"):
                client.flush()
    finally:
        client.close()

    # block: the same service code with deprecation_policy=block refuses a new consume, naming
    # the snapshot, the reason and the replacement; replays of stored consumes still succeed
    blocking = live_service.settings.model_copy(update={"deprecation_policy": "block"})
    with run_service(blocking) as service:
        gql = GraphQL(http, service.url)
        fresh = gql.ok(START, input={"name": "blocked-reader"})["startRun"]["ref"]
        error = gql.error(CONSUME, input={"run": fresh, "artifact": RAW})
        assert code_of(error) == "DEPRECATED"
        message = error["message"]
        assert RAW in message
        assert "PII leak" in message
        assert OTHER in message
        error = gql.error(CONSUME, input={"run": fresh, "artifact": "dataset:raw_events"})
        assert code_of(error) == "DEPRECATED"  # dataset:<name> binds to the deprecated snapshot
        (result,) = gql.ok(INGEST, events=[_consume_event(fresh, RAW)])["ingest"]["results"]
        assert (result["ok"], result["code"]) == (False, "DEPRECATED")
        # a consume stored before the deprecation is replayed fine; other inputs are fine
        (replay,) = gql.ok(INGEST, events=[_consume_event(run, RAW)])["ingest"]["results"]
        assert replay["ok"]
        assert replay["warning"] is None
        gql.ok(CONSUME, input={"run": fresh, "artifact": OTHER})
        consumed = gql.ok(
            "query($ref: String!) { node(ref: $ref) { ... on Run { consumed { ref } } } }",
            ref=fresh,
        )["node"]["consumed"]
        assert consumed == [{"ref": OTHER}]


# --- the gate ---------------------------------------------------------------------------------
POLICY = """\
version: 1
provenance: true
no_deprecated_upstream: true
reproducibility: bitwise
evaluation:
  report: holdout
  thresholds:
    - auc >= 0.80
    - slice country=* auc >= 0.80
improvement:
  baseline:
    deployed: prod
  metrics: [auc]
  evidence: intervals
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "gate-policy.yaml"
    path.write_text(POLICY)
    return path


def gate(
    capsys: pytest.CaptureFixture[str], world: World, model: str, policy: Path
) -> tuple[int, dict[str, Any]]:
    code, out, _err = cli(capsys, world.url, "gate", model, "--policy", str(policy), "--json")
    return code, json.loads(out)


def failing(report: dict[str, Any]) -> list[str]:
    return [r["requirement"] for r in report["requirements"] if not r["passed"]]


def test_gate_fails_a_model_trained_on_the_deprecated_snapshot_and_passes_one_that_is_not(
    world: World, policy: Path, capsys: pytest.CaptureFixture[str]
):
    # before the deprecation the ctr model (on raw, via a feature) ships
    code, report = gate(capsys, world, world.models["ctr"], policy)
    assert (code, failing(report)) == (0, []), report
    world.gql.ok(DEPRECATE, input={"ref": RAW, "reason": "PII leak", "sunset": "2027-03-01"})
    code, report = gate(capsys, world, world.models["ctr"], policy)
    assert (code, failing(report)) == (1, ["no_deprecated_upstream"])
    (check,) = next(
        r for r in report["requirements"] if r["requirement"] == "no_deprecated_upstream"
    )["checks"]
    assert check["item"] == RAW
    assert "PII leak" in check["detail"]
    assert "2027-03-01" in check["detail"]
    assert check["data"]["path"] == _expected_impact(world)[world.models["ctr"]][1]
    # churn2 never saw the raw snapshot: significant improvement over prod's model, ships
    code, report = gate(capsys, world, world.models["churn2"], policy)
    assert (code, failing(report)) == (0, []), report
    improvement = next(r for r in report["requirements"] if r["requirement"] == "improvement")
    assert improvement["checks"][0]["detail"].startswith(world.models["churn"])
    assert "significant" in improvement["checks"][1]["detail"]
    # the human report, with its exit code
    code, out, _ = cli(capsys, world.url, "gate", world.models["ctr"], "--policy", str(policy))
    assert code == 1
    assert "BLOCKED" in out
    assert "no_deprecated_upstream" in out
    code, out, _ = cli(capsys, world.url, "gate", world.models["churn2"], "--policy", str(policy))
    assert code == 0
    assert "SHIP" in out


def test_gate_each_requirement_fails_alone(
    world: World, policy: Path, capsys: pytest.CaptureFixture[str]
):
    good = (0.90, 0.88, 0.92)
    dirty = {**GOOD_PROVENANCE, "code": {"commit": "abc123", "dirty": True}}
    no_seeds = {k: v for k, v in GOOD_PROVENANCE.items() if k != "seeds"}
    cases = {
        "provenance": world.trained("dirty", consumes=[OTHER], auc=good, provenance=dirty),
        "seeds": world.trained("noseeds", consumes=[OTHER], auc=good, provenance=no_seeds),
        "reproducibility": world.trained("unverified", consumes=[OTHER], auc=good, verify=False),
        "evaluation": world.trained("weakslice", consumes=[OTHER], auc=good, fr=0.70),
        # point estimate higher than the baseline's 0.80, intervals overlapping: not significant
        "improvement": world.trained("marginal", consumes=[OTHER], auc=(0.83, 0.79, 0.87)),
    }
    world.gql.ok(DEPRECATE, input={"ref": RAW, "reason": "PII leak"})
    cases["no_deprecated_upstream"] = world.models["ctr"]
    expected_failure = {
        "provenance": "provenance",
        "seeds": "provenance",
        "reproducibility": "reproducibility",
        "evaluation": "evaluation",
        "improvement": "improvement",
        "no_deprecated_upstream": "no_deprecated_upstream",
    }
    for case, model in cases.items():
        code, report = gate(capsys, world, model, policy)
        assert (code, failing(report)) == (1, [expected_failure[case]]), (case, report)
        checks = next(
            r["checks"]
            for r in report["requirements"]
            if r["requirement"] == expected_failure[case]
        )
        failed = [c for c in checks if not c["passed"]]
        detail = " ".join(c["item"] + ": " + c["detail"] for c in failed)
        assert {
            "provenance": "clean tree: working tree had uncommitted changes",
            "seeds": "seeds: no seeds recorded",
            "reproducibility": "highest verified level none, required bitwise",
            "evaluation": "slice country=FR auc >= 0.8: 0.7 fails >= 0.8",
            "improvement": "not significant: intervals overlap",
            "no_deprecated_upstream": RAW,
        }[case] in detail, (case, detail)


def test_gate_with_a_named_baseline_and_without_one(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    named = tmp_path / "named.toml"
    named.write_text(
        'version = 1\n[improvement]\nmetrics = ["auc"]\nevidence = "intervals"\n'
        f'[improvement.baseline]\nmodel = "{world.models["churn"]}"\n'
    )
    code, report = gate(capsys, world, world.models["churn2"], named)
    assert code == 0, report
    staging = tmp_path / "staging.yaml"
    staging.write_text("improvement:\n  baseline: {deployed: staging}\n  metrics: [auc]\n")
    code, report = gate(capsys, world, world.models["churn2"], staging)
    assert code == 1
    assert "no baseline model deployed in staging" in json.dumps(report)
    staging.write_text(
        "improvement:\n  baseline: {deployed: staging}\n  metrics: [auc]\n"
        "  when_no_baseline: pass\n"
    )
    assert gate(capsys, world, world.models["churn2"], staging)[0] == 0
    # recording a deployment replaces the model serving there: the gate's baseline follows
    world.gql.ok(DEPLOY, input={"model": world.models["churn2"], "env": "staging"})
    replaced = world.gql.ok(DEPLOY, input={"model": world.models["ctr"], "env": "staging"})
    assert replaced["recordDeployment"]["replaced"] == [world.models["churn2"]]
    code, out, _ = cli(capsys, world.url, "deployment", "list", "--env", "staging", "--json")
    assert [d["model"] for d in json.loads(out)] == [world.models["ctr"]]
    code, out, _ = cli(
        capsys, world.url, "deployment", "record", world.models["churn2"], "--env", "staging"
    )
    assert code == 0
    assert f"retired from staging: {world.models['ctr']}" in out


def test_gate_bad_input_exits_2(
    world: World, policy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code, out, err = cli(capsys, world.url, "gate", "model:nope@1", "--policy", str(policy))
    assert code == 2
    assert "model:nope@1 does not exist" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nno_deprecated_upstreem: true\n")
    code, out, err = cli(capsys, world.url, "gate", world.models["churn2"], "--policy", str(bad))
    assert code == 2
    assert "no_deprecated_upstreem: unknown key" in err
    assert "did you mean 'no_deprecated_upstream'" in err
    bad.write_text("version: 1\nevaluation:\n  thresholds: ['auc >> 0.9']\n")
    code, out, err = cli(
        capsys, world.url, "gate", world.models["churn2"], "--policy", str(bad), "--json"
    )
    assert code == 2
    assert json.loads(out)["error"]["field"].startswith("evaluation.thresholds")
    missing = tmp_path / "missing.yaml"
    code, _, err = cli(capsys, world.url, "gate", world.models["churn2"], "--policy", str(missing))
    assert code == 2
    assert "cannot read policy" in err
    code, _, err = cli(capsys, world.url, "gate", world.runs["etl"], "--policy", str(policy))
    assert code == 2
    assert "not a model ref" in err
    # a named baseline that does not exist is bad input too
    named = tmp_path / "named.yaml"
    named.write_text("improvement:\n  baseline: {model: 'model:ghost@1'}\n  metrics: [auc]\n")
    code, _, err = cli(capsys, world.url, "gate", world.models["churn2"], "--policy", str(named))
    assert code == 2
    assert "model:ghost@1 does not exist" in err


def _trial_model(world: World, key: str, finals: list[float]) -> str:
    """A sweep: the parent run produces the model; each COMPLETED child logged auc per step."""
    parent = world.run(f"sweep-{key}", [OTHER])
    events = []
    for i, final in enumerate(finals):
        child = world.run(f"trial-{key}-{i}", [OTHER], parent=parent)
        run_id = child.removeprefix("run:")
        for step, value in enumerate((0.5, final)):
            events.append(
                {
                    "type": "metrics_logged",
                    "event_id": uuid.uuid4().hex,
                    "run_id": run_id,
                    "step": step,
                    "values": {"auc": value},
                }
            )
        events.append(
            {
                "type": "run_finished",
                "event_id": uuid.uuid4().hex,
                "run_id": run_id,
                "status": "COMPLETED",
            }
        )
    accepted = world.gql.ok(INGEST, events=events)["ingest"]["accepted"]
    assert accepted == len(events)
    model = world.model(parent, key, "1", f"weights-{key}")
    world.finish(parent)
    return model


def test_gate_judges_improvement_from_trial_runs(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    better = _trial_model(world, "sweep_a", [0.90, 0.91, 0.905, 0.895])
    baseline = _trial_model(world, "sweep_b", [0.80, 0.81, 0.79, 0.805])
    similar = _trial_model(world, "sweep_c", [0.905, 0.89, 0.91, 0.90])
    policy = tmp_path / "trials.yaml"
    policy.write_text(
        "improvement:\n"
        f"  baseline: {{model: '{baseline}'}}\n"
        "  metrics: [auc]\n  evidence: trials\n  min_trials: 3\n"
    )
    code, report = gate(capsys, world, better, policy)
    assert code == 0, report
    check = report["requirements"][0]["checks"][1]
    assert check["data"]["method"] == "trials"
    assert check["data"]["n_candidate"] == check["data"]["n_baseline"] == 4
    policy.write_text(policy.read_text().replace(baseline, similar))
    code, report = gate(capsys, world, better, policy)
    assert code == 1
    assert "not significant" in report["requirements"][0]["checks"][1]["detail"]


GATE_QUERY = "query($model: String!, $policy: JSON!) { gate(model: $model, policy: $policy) }"


def test_gate_query_decides_in_the_service_like_the_cli(
    world: World, policy: Path, capsys: pytest.CaptureFixture[str]
):
    document = yaml.safe_load(POLICY)
    for model in (world.models["churn2"], world.models["churn"]):
        served = world.gql.ok(GATE_QUERY, model=model, policy=document)["gate"]
        code, local = gate(capsys, world, model, policy)
        assert served["exit_code"] == code
        assert served["shipped"] is (code == 0)
        assert failing(served) == failing(local)
    error = world.gql.error(
        GATE_QUERY, model=world.models["churn2"], policy={"no_deprecated_upstreem": True}
    )
    assert code_of(error) == "BAD_INPUT"
    assert error["extensions"]["field"] == "no_deprecated_upstreem"
    error = world.gql.error(GATE_QUERY, model="model:nope@1", policy=document)
    assert code_of(error) == "NOT_FOUND"
