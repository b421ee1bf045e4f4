"""Reproducibility through the running service (real Neo4j and S3): runs recorded by the SDK,
then ``runDiff``, ``verifyRuns`` at each level in the passing and the failing direction, the
stored ReproducibilityCheck, the gate's highest_verified_level, the CLI, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lineagegraph as lg
from lineagegraph.cli.main import main as lineage_main
from lineagegraph.graph.repro_store import ReproStore, highest_verified_level
from lineagegraph.graph.store import GraphStore
from lineagegraph.repro.levels import Level
from tests.integration.api_helpers import GraphQL, code_of, field_of

NO_CAPTURE = {"code": False, "environment": False, "hardware": False}
CHECK_FIELDS = """
  ref passed levelRequested levelAchieved runsA runsB parameters failedItems text json
  evidence { level item outcome detail data }
"""
VERIFY = f"mutation($input: VerifyRunsInput!) {{ verifyRuns(input: $input) {{ {CHECK_FIELDS} }} }}"
DIFF = """
query($a: String!, $b: String!) {
  runDiff(a: $a, b: $b) {
    a b changedDimensions text json
    sections { name changes { path kind a b } }
    outputs { key status digestA digestB }
    metrics { key a b difference equal }
  }
}
"""


@pytest.fixture
def client(live_service, tmp_path):
    client = lg.Client(
        url=live_service.url,
        spool_dir=tmp_path / "spool",
        handle_sigterm=False,
        retry_initial=0.05,
        retry_max=0.5,
    )
    yield client
    client.close(10)


@pytest.fixture
def gql(live_service, http):
    return GraphQL(http, live_service.url)


@pytest.fixture
def graph(live_service, driver, catalog):
    return GraphStore(driver, live_service.settings.neo4j_database, catalog)


def weights(seed: int, lr: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, lr, size=(8, 4))


def train(
    client: lg.Client,
    out: Path,
    *,
    seed: int,
    lr: float = 0.1,
    accuracy: float | None = None,
    array: np.ndarray | None = None,
    tags: dict[str, str] | None = None,
    produce: bool = True,
    finish: bool = True,
    flush: bool = True,
) -> Any:
    """A toy training run: its weights as weights.npy and a final accuracy."""
    run = client.start_run(
        "toy", seed=seed, config={"lr": lr, "epochs": 3}, tags=tags or {}, **NO_CAPTURE
    )
    run.log_params({"lr": lr})
    w = weights(seed, lr) if array is None else array
    for step in range(3):
        run.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
    run.log_metrics(
        {"accuracy": float(accuracy if accuracy is not None else 0.9 + w[0, 0] / 100)}, step=3
    )
    if produce:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{run.id}-weights.npy"
        np.save(path, w)
        run.log_model("weights.npy", path=path, framework="numpy")
    if finish:
        run.end()
    if flush:
        assert client.flush(60) == 0
        assert client.errors == []
    return run


def verify(gql: GraphQL, **fields: Any) -> dict[str, Any]:
    check: dict[str, Any] = gql.ok(VERIFY, input=fields)["verifyRuns"]
    return check


def verify_error(gql: GraphQL, **fields: Any) -> dict[str, Any]:
    return gql.error(VERIFY, input=fields)


def outcomes(check: dict[str, Any]) -> dict[str, str]:
    return {f"{e['level']} {e['item']}": e["outcome"] for e in check["evidence"]}


def stored_checks(graph: GraphStore) -> int:
    with graph.driver.session(database=graph.database) as session:
        record = session.run("MATCH (c:ReproducibilityCheck) RETURN count(c) AS n").single()
    assert record is not None
    return int(record["n"])


# --- bitwise ----------------------------------------------------------------------------------
def test_same_seed_reaches_bitwise_and_the_check_is_stored(client, gql, graph, tmp_path):
    a = train(client, tmp_path / "a", seed=7)
    b = train(client, tmp_path / "b", seed=7)
    check = verify(gql, level="BITWISE", a=a.ref, b=b.ref)
    assert check["passed"] is True
    assert check["levelAchieved"] == "BITWISE"
    assert outcomes(check) == {"BITWISE artifact weights.npy": "PASS"}
    assert check["ref"].startswith("check:")
    assert (check["runsA"], check["runsB"]) == ([a.ref], [b.ref])
    assert "REACHED" in check["text"]

    # stored, linked to both runs, and what the gate reads
    assert highest_verified_level(graph, a.ref) == (Level.BITWISE, check["ref"])
    assert highest_verified_level(graph, b.ref) == (Level.BITWISE, check["ref"])
    run = gql.ok(
        """query($ref: String!) { node(ref: $ref) { ... on Run {
             highestVerifiedLevel { level check }
             reproducibilityChecks { ref side passed levelAchieved } } } }""",
        ref=b.ref,
    )["node"]
    assert run["highestVerifiedLevel"] == {"level": "BITWISE", "check": check["ref"]}
    assert run["reproducibilityChecks"] == [
        {"ref": check["ref"], "side": "B", "passed": True, "levelAchieved": "BITWISE"}
    ]
    again = gql.ok(
        f"query($ref: String!) {{ reproducibilityCheck(ref: $ref) {{ {CHECK_FIELDS} }} }}",
        ref=check["ref"],
    )["reproducibilityCheck"]
    assert again["evidence"] == check["evidence"]
    assert again["parameters"] == check["parameters"]


def test_tampered_artifact_fails_bitwise_and_the_arrays_say_how_far_it_got(
    client, gql, graph, tmp_path
):
    a = train(client, tmp_path / "a", seed=7)
    nudged = weights(7).copy()
    nudged[0, 1] += 1e-12  # other bytes, same numbers within tolerance
    b = train(client, tmp_path / "b", seed=7, array=nudged, accuracy=0.9 + weights(7)[0, 0] / 100)
    check = verify(gql, level="BITWISE", a=a.ref, b=b.ref)
    assert check["passed"] is False
    assert check["levelAchieved"] == "ALGORITHMIC"  # the arrays were fetched and compared
    found = outcomes(check)
    assert found["BITWISE artifact weights.npy"] == "FAIL"
    assert found["ALGORITHMIC array weights.npy"] == "PASS"
    assert "NOT REACHED" in check["text"]
    # a failed check verifies nothing for the gate
    assert highest_verified_level(graph, b.ref) is None

    tampered = weights(7).copy()
    tampered[3, 3] = 5.0
    c = train(client, tmp_path / "c", seed=7, array=tampered, accuracy=0.9 + weights(7)[0, 0] / 100)
    check = verify(gql, level="BITWISE", a=a.ref, b=c.ref)
    assert (check["passed"], check["levelAchieved"]) == (False, None)
    array = next(e for e in check["evidence"] if e["item"] == "array weights.npy")
    assert array["outcome"] == "FAIL"
    assert array["detail"] == "1 of 32 elements differ"


# --- algorithmic ------------------------------------------------------------------------------
def test_algorithmic_within_tolerance_passes_and_a_metric_off_by_more_fails(
    client, gql, graph, tmp_path
):
    a = train(client, tmp_path / "a", seed=1, accuracy=0.91)
    close = train(client, tmp_path / "b", seed=1, accuracy=0.91 + 1e-9)
    check = verify(gql, level="ALGORITHMIC", a=a.ref, b=close.ref)
    assert check["passed"] is True
    assert outcomes(check)["ALGORITHMIC metric accuracy"] == "PASS"
    assert outcomes(check)["ALGORITHMIC artifact weights.npy"] == "PASS"  # identical bytes

    far = train(client, tmp_path / "c", seed=1, accuracy=0.92)
    check = verify(gql, level="ALGORITHMIC", a=a.ref, b=far.ref)
    assert (check["passed"], check["levelAchieved"]) == (False, None)
    metric = next(e for e in check["evidence"] if e["item"] == "metric accuracy")
    assert metric["outcome"] == "FAIL"
    assert metric["data"]["a"] == pytest.approx(0.91)
    assert metric["data"]["b"] == pytest.approx(0.92)
    # a looser tolerance accepts the same pair, and the parameters say which was used
    loose = verify(gql, level="ALGORITHMIC", a=a.ref, b=far.ref, rtol=0.05)
    assert loose["passed"] is True
    assert loose["parameters"]["rtol"] == 0.05
    assert highest_verified_level(graph, far.ref) == (Level.ALGORITHMIC, loose["ref"])


# --- statistical ------------------------------------------------------------------------------
def _trials(client, tmp_path, group: str, seeds: range, shift: float = 0.0) -> list[str]:
    rng = np.random.default_rng(sum(seeds))
    refs = []
    for seed in seeds:
        accuracy = 0.90 + shift + rng.normal(0.0, 0.004)
        run = train(
            client,
            tmp_path / group,
            seed=seed,
            accuracy=accuracy,
            tags={"trial": group},
            flush=False,
        )
        refs.append(run.ref)
    assert client.flush(60) == 0
    assert client.errors == []
    return refs


def test_statistical_same_distribution_passes_and_a_shifted_one_fails(client, gql, graph, tmp_path):
    group_a = _trials(client, tmp_path, "base", range(100, 105))
    group_b = _trials(client, tmp_path, "rerun", range(200, 205))
    shifted = _trials(client, tmp_path, "shifted", range(300, 305), shift=0.05)
    # by tag selectors, on the accuracy metric
    check = verify(
        gql,
        level="STATISTICAL",
        groupA=["trial=base"],
        groupB=["trial=rerun"],
        metricKeys=["accuracy"],
    )
    assert check["passed"] is True, check["text"]
    assert sorted(check["runsA"]) == sorted(group_a)
    assert sorted(check["runsB"]) == sorted(group_b)
    params = check["parameters"]
    assert (params["method"], params["confidence"], params["min_trials"]) == ("tost", 0.95, 3)
    test = check["evidence"][0]["data"]["tests"][0]
    assert test["test"] == "tost-welch"
    assert test["low"] <= test["difference"] <= test["high"]
    assert "interval" in check["evidence"][0]["detail"]
    assert highest_verified_level(graph, group_b[0]) == (Level.STATISTICAL, check["ref"])

    # by refs: the shifted trials are not equivalent
    check = verify(
        gql, level="STATISTICAL", groupA=group_a, groupB=shifted, metricKeys=["accuracy"]
    )
    assert (check["passed"], check["levelAchieved"]) == (False, None)
    assert check["evidence"][0]["outcome"] == "FAIL"
    assert "not inside" in check["evidence"][0]["detail"]


# --- diff -------------------------------------------------------------------------------------
def test_run_diff_names_the_changed_parameter_and_outputs(client, gql, tmp_path):
    a = train(client, tmp_path / "a", seed=3, lr=0.1)
    b = train(client, tmp_path / "b", seed=3, lr=0.2)
    diff = gql.ok(DIFF, a=a.ref, b=b.ref)["runDiff"]
    assert diff["changedDimensions"] == ["config", "params", "outputs", "metrics"]
    config = next(s for s in diff["sections"] if s["name"] == "config")
    assert config["changes"] == [{"path": "lr", "kind": "changed", "a": 0.1, "b": 0.2}]
    assert diff["outputs"][0]["status"] == "different"
    assert "config" in diff["text"]
    assert "lr" in diff["text"]
    assert diff["json"]["changed_dimensions"] == diff["changedDimensions"]

    error = gql.error(DIFF, a=a.ref, b=a.ref)
    assert code_of(error) == "BAD_INPUT"


# --- bad input ----------------------------------------------------------------------------------
MISSING = "run:00000000-0000-4000-8000-000000000000"


def test_bad_input_is_refused_and_stores_nothing(client, gql, graph, tmp_path):
    a = train(client, tmp_path / "a", seed=1)
    b = train(client, tmp_path / "b", seed=1)

    error = verify_error(gql, level="BITWISE", a=a.ref, b=MISSING)
    assert (code_of(error), field_of(error)) == ("NOT_FOUND", "b")
    assert MISSING in error["message"]
    error = gql.error(DIFF, a=MISSING, b=a.ref)
    assert (code_of(error), field_of(error)) == ("NOT_FOUND", "a")

    error = verify_error(gql, level="BITWISE", a=a.ref, b=a.ref)
    assert code_of(error) == "BAD_INPUT"
    assert "against itself" in error["message"]

    bare_a = train(client, tmp_path / "x", seed=1, produce=False)
    bare_b = train(client, tmp_path / "y", seed=1, produce=False)
    error = verify_error(gql, level="BITWISE", a=bare_a.ref, b=bare_b.ref)
    assert code_of(error) == "BAD_INPUT"
    assert "produced an artifact" in error["message"]

    error = verify_error(gql, level="STATISTICAL", groupA=[a.ref], groupB=[b.ref])
    assert code_of(error) == "BAD_INPUT"
    assert "needs at least 3 trial runs per group" in error["message"]
    assert field_of(error) == "group_a"

    running = train(client, tmp_path / "r", seed=1, finish=False)
    error = verify_error(gql, level="ALGORITHMIC", a=a.ref, b=running.ref)
    assert code_of(error) == "BAD_INPUT"
    assert "RUNNING" in error["message"]
    assert "completed" in error["message"]

    for fields, needle in (
        ({"level": "STATISTICAL", "a": a.ref, "b": b.ref}, "groups"),
        ({"level": "BITWISE", "groupA": [a.ref], "groupB": [b.ref]}, "statistical level"),
        ({"level": "BITWISE", "a": a.ref}, "two runs"),
        ({"level": "BITWISE", "a": "model:x@1", "b": b.ref}, "not a run ref"),
        ({"level": "ALGORITHMIC", "a": a.ref, "b": b.ref, "rtol": -1.0}, "rtol"),
        ({"level": "STATISTICAL", "groupA": ["trial=none"], "groupB": [b.ref]}, "no completed"),
        (
            {"level": "STATISTICAL", "groupA": [a.ref], "groupB": [b.ref], "confidence": 1.5},
            "confidence",
        ),
    ):
        error = verify_error(gql, **fields)
        assert code_of(error) == "BAD_INPUT", (fields, error)
        assert needle in error["message"], (fields, error)
    assert stored_checks(graph) == 0


# --- the CLI ------------------------------------------------------------------------------------
def test_cli_diff_and_verify_exit_codes(client, live_service, tmp_path, capsys):
    a = train(client, tmp_path / "a", seed=5)
    b = train(client, tmp_path / "b", seed=5)
    c = train(client, tmp_path / "c", seed=6)
    url = ["--url", live_service.url]

    assert lineage_main(["diff", a.ref, c.ref, *url]) == 0
    out = capsys.readouterr().out
    assert "seeds" in out
    assert "differs in:" in out
    assert lineage_main(["diff", a.ref, c.ref, "--json", *url]) == 0
    assert "seeds" in json.loads(capsys.readouterr().out)["changed_dimensions"]

    assert lineage_main(["verify", a.ref, b.ref, "--level", "bitwise", *url]) == 0
    assert "REACHED" in capsys.readouterr().out
    assert lineage_main(["verify", a.ref, c.ref, "--level", "bitwise", "--json", *url]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    assert document["check"].startswith("check:")

    assert lineage_main(["verify", a.ref, MISSING, "--level", "bitwise", *url]) == 2
    assert "no such run" in capsys.readouterr().err
    assert lineage_main(["verify", a.ref, a.ref, "--level", "algorithmic", *url]) == 2
    statistical = ["verify", "--level", "statistical", "--group-a", a.ref, "--group-b", b.ref]
    assert lineage_main([*statistical, *url]) == 2
    assert "needs at least 3" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        lineage_main(["verify", a.ref, b.ref, "--level", "nonsense", *url])
    assert exited.value.code == 2


SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import lineagegraph as lg

    out, seed = sys.argv[1], int(sys.argv[2])
    client = lg.Client(handle_sigterm=False)
    with client.start_run("script", seed=seed, config={"seed": seed}) as run:
        w = np.random.default_rng(seed).normal(size=(4, 4))
        path = f"{out}/{run.id}.npy"
        np.save(path, w)
        run.log_model("weights.npy", path=path)
        run.log_metrics({"score": float(w.sum())})
    assert client.flush(60) == 0, client.stats()
    print(run.ref)
    """
)


def test_reproduce_prints_the_recipe_and_exec_reruns_links_and_verifies(
    live_service, gql, graph, tmp_path, monkeypatch, capsys
):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("LINEAGE_URL", live_service.url)
    monkeypatch.setenv("LINEAGE_SPOOL_DIR", str(tmp_path / "spool"))
    done = subprocess.run(
        [sys.executable, str(script), str(out), "11"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    original = done.stdout.strip().splitlines()[-1]

    assert lineage_main(["reproduce", original]) == 0
    recipe = capsys.readouterr().out
    assert f"# reproduce {original}" in recipe
    assert str(script) in recipe
    assert "# seeds" in recipe
    assert lineage_main(["reproduce", original, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seeds"]["numpy"] == 11

    assert lineage_main(["reproduce", original, "--exec", "--level", "bitwise"]) == 0
    captured = capsys.readouterr()
    assert "REACHED" in captured.out
    assert "REPRODUCES" in captured.err
    assert "environment" in captured.err  # the environment check ran before the command
    store = ReproStore.of(graph)
    (reproduction,) = [
        ref for ref, originals in _reproductions(store, graph).items() if original in originals
    ]
    level = highest_verified_level(graph, reproduction)
    assert level is not None
    assert level[0] is Level.BITWISE
    node = gql.ok(
        "query($ref: String!) { node(ref: $ref) { ... on Run { reproduces { ref } tags } } }",
        ref=reproduction,
    )["node"]
    assert node["reproduces"] == [{"ref": original}]
    assert node["tags"]["lineage.reproduces"] == original

    assert lineage_main(["reproduce", MISSING, "--exec"]) == 2


def _reproductions(store: ReproStore, graph: GraphStore) -> dict[str, list[str]]:
    page = graph.list_runs(first=50)
    return store.reproduces([run["ref"] for run in page.items])


def test_array_bytes_come_from_the_blob_store_only_when_they_match_the_digest(
    settings, s3, tmp_path
):
    import hashlib
    import io

    from lineagegraph.api.repro_verify import artifact_bytes
    from lineagegraph.blobs.keys import blob_key
    from lineagegraph.repro.inputs import ProducedArtifact

    buffer = io.BytesIO()
    np.save(buffer, np.arange(6.0))
    data = buffer.getvalue()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    s3.put_object(settings.s3_bucket, blob_key(digest), io.BytesIO(data), len(data))
    stored = ProducedArtifact(name="w.npy", ref="model:w@1", digest=digest)
    found = artifact_bytes(stored, tmp_path, s3=s3, bucket=settings.s3_bucket)
    assert found is not None
    assert np.array_equal(np.load(found), np.arange(6.0))

    # an s3:// reference elsewhere in the bucket, and one whose bytes are not the digest's
    s3.put_object(settings.s3_bucket, "refs/w.npy", io.BytesIO(data), len(data))
    other = "sha256:" + "e" * 64
    s3.put_object(settings.s3_bucket, blob_key(other), io.BytesIO(data), len(data))
    uri = f"s3://{settings.s3_bucket}/refs/w.npy"
    by_uri = ProducedArtifact(name="w.npy", ref="model:w@2", digest=digest, uri=uri)
    (tmp_path / "2").mkdir()
    assert artifact_bytes(by_uri, tmp_path / "2", s3=s3, bucket="no-such-bucket") is not None
    wrong = ProducedArtifact(name="w.npy", ref="model:w@3", digest=other, uri=uri)
    assert artifact_bytes(wrong, tmp_path, s3=s3, bucket=settings.s3_bucket) is None
    assert list(tmp_path.glob("e*.npy")) == []  # the mismatching copy is not kept
