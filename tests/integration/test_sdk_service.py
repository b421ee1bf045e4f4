"""The SDK against the running service (real Neo4j and S3): a full training run read back through
GraphQL with its provenance, child and failing runs, and an outage healed by ``lineage sync``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import pytest

import lineagegraph as lg
from lineagegraph.cli.main import main as lineage_main
from lineagegraph.sdk.replay import pending_in_spool
from tests.conftest import run_service

RUN_FIELDS = """
  ref name
  ... on Run {
    status startTime endTime errorType errorMessage
    code environment hardware seeds config dataFilters params tags user command
    parent { ref } children { ref } consumed { ref } produced { ref }
    metricKeys
    loss: metric(key: "loss") { step value valueText }
  }
"""
NO_CAPTURE = {"code": False, "environment": False, "hardware": False}

TRAIN = textwrap.dedent(
    """
    import argparse, json, math, sys
    import lineagegraph as lg

    url, spool, data = sys.argv[1:4]
    client = lg.Client(url=url, spool_dir=spool, handle_sigterm=False)
    snap = client.register_dataset_snapshot(
        "clicks", version="2026-12-01", path=f"{data}/clicks.parquet", row_count=1000
    )
    feat = client.register_feature_definition(
        "ctr_7d", version="3", sources=[snap], code="clicks / impressions"
    )
    cfg = argparse.Namespace(lr=0.01, layers=[64, 32], optimizer="adam")
    with client.start_run(
        "train-ranker", config=cfg, seed=42, tags={"team": "ranking"},
        data_filters={"country": ["US", "DE"]},
    ) as run:
        run.log_params({"batch_size": 256})
        run.consume(snap)
        run.consume(feat)
        for step in range(100):
            run.log_metrics({"loss": 1.0 / (step + 1), "auc": 0.5 + step / 1000}, step=step)
        run.log_metrics({"loss": math.nan}, step=100)
        model = run.log_model("ranker", path=f"{data}/model.pt", framework="numpy")
        held_out = run.log_dataset_snapshot(
            "clicks-holdout", version="1", path=f"{data}/holdout.parquet"
        )
        report = run.log_evaluation(
            "ranker-eval", model=model, metrics={"auc": 0.91},
            slices={"country=US": {"auc": (0.93, 0.91, 0.95)}},
        )
    remaining = client.flush(60)
    refs = {"run": run.ref, "snap": snap.ref, "feat": feat.ref, "model": model.ref,
            "holdout": held_out.ref, "report": report.ref}
    impact = sorted(client.impact(snap).refs)
    series = client.get_run(run.ref).metrics("loss")
    print(json.dumps({"remaining": remaining, "errors": [str(e) for e in client.errors],
                      "refs": refs, "impact": impact, "series_steps": [s for s, _ in series],
                      "last_is_nan": math.isnan(series[-1][1])}))
    """
)


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _query(http, service, query, **variables):
    response = http.post(service.url + "/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def _run_node(http, service, ref):
    return _query(
        http, service, f"query($ref: String!) {{ node(ref: $ref) {{ {RUN_FIELDS} }} }}", ref=ref
    )["node"]


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


def test_a_full_training_run_reads_back_with_its_provenance(
    live_service, http, tmp_path, monkeypatch
):
    repo = tmp_path / "ranker"
    data = tmp_path / "data"
    data.mkdir()
    (data / "clicks.parquet").write_bytes(b"clicks" * 5000)
    (data / "model.pt").write_bytes(b"weights")
    (data / "holdout.parquet").write_bytes(b"holdout")
    repo.mkdir()
    (repo / "train.py").write_text(TRAIN)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "ml@example.com")
    _git(repo, "config", "user.name", "ml")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "train")
    _git(repo, "remote", "add", "origin", "https://bot:hunter2@git.example.com/ml/ranker.git")
    (repo / "train.py").write_text(TRAIN + "\n# tweaked learning rate\n")  # dirty
    image = "sha256:" + "ab" * 32
    monkeypatch.setenv("LINEAGE_IMAGE_DIGEST", image)
    done = subprocess.run(
        [sys.executable, "train.py", live_service.url, str(tmp_path / "spool"), str(data)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["remaining"], out["errors"]) == (0, [])
    refs = out["refs"]
    assert refs["model"] == "model:ranker@1"
    assert refs["report"] == "report:ranker-eval@1"
    assert out["series_steps"] == list(range(101))
    assert out["last_is_nan"] is True
    assert {refs["run"], refs["feat"], refs["model"], refs["holdout"], refs["report"]} <= set(
        out["impact"]
    )

    node = _run_node(http, live_service, refs["run"])
    assert node["status"] == "COMPLETED"
    assert node["startTime"] <= node["endTime"]
    code = node["code"]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert code["commit"] == head
    assert code["branch"] == "main"
    assert code["remote_url"] == "https://git.example.com/ml/ranker.git"
    assert code["dirty"] is True
    assert code["diff_digest"].startswith("sha256:")
    assert code["entry_point"] == "train.py"
    # the diff itself is in the blob store, named by its digest, uploaded before the exit
    assert code["diff_ref"] == code["diff_digest"]
    assert not list((tmp_path / "spool" / "diffs").glob("*.patch"))
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=repo, capture_output=True, check=True
    ).stdout
    with lg.Client(url=live_service.url, spool_dir=tmp_path / "reader", handle_sigterm=False) as c:
        c.download(code["diff_ref"], tmp_path / "run.patch")
    assert (tmp_path / "run.patch").read_bytes() == diff
    assert node["command"][0] == "train.py"
    env = node["environment"]
    assert env["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["platform"]
    assert env["packages_digest"].startswith("sha256:")
    assert env["packages"]["lineagegraph"]
    assert env["image_digest"] == image
    hardware = node["hardware"]
    assert hardware["cpu_count"] >= 1
    assert hardware["memory_bytes"] > 0
    assert hardware["cpu_model"]
    assert isinstance(hardware["gpus"], list)
    assert node["seeds"]["random"] == 42
    assert node["seeds"]["numpy"] == 42
    assert node["config"] == {"lr": 0.01, "layers": [64, 32], "optimizer": "adam"}
    assert node["dataFilters"] == {"country": ["US", "DE"]}
    assert node["params"] == {"batch_size": 256}
    assert node["tags"] == {"team": "ranking"}
    assert node["user"]
    assert {a["ref"] for a in node["consumed"]} == {refs["snap"], refs["feat"]}
    assert {a["ref"] for a in node["produced"]} == {refs["model"], refs["holdout"], refs["report"]}
    assert set(node["metricKeys"]) == {"loss", "auc"}
    loss = node["loss"]
    assert [p["step"] for p in loss] == list(range(101))
    assert loss[1]["value"] == 0.5
    assert (loss[100]["value"], loss[100]["valueText"]) == (None, "NaN")

    report = _query(
        http,
        live_service,
        'query { node(ref: "report:ranker-eval@1") { ... on EvaluationReport { model { ref } '
        "metrics { key value } slices { slice metrics { key value low high } } } } }",
    )["node"]
    assert report["model"]["ref"] == "model:ranker@1"
    assert report["slices"][0]["slice"] == "country=US"
    assert report["slices"][0]["metrics"][0]["low"] == 0.91
    snapshot = _query(
        http,
        live_service,
        'query { node(ref: "dataset:clicks@2026-12-01") { ... on DatasetSnapshot '
        "{ digest sizeBytes rowCount } } }",
    )["node"]
    assert snapshot["sizeBytes"] == 30000
    assert snapshot["rowCount"] == 1000


def test_a_child_run_and_a_failing_run(client, live_service, http):
    with client.start_run("sweep", **NO_CAPTURE) as parent:
        for lr in (0.1, 0.01):
            with client.start_run(f"trial-lr={lr}", config={"lr": lr}, **NO_CAPTURE) as trial:
                trial.log_metrics({"loss": lr})
    started = []

    def train_and_crash():
        with client.start_run("broken", **NO_CAPTURE) as broken:
            started.append(broken)
            broken.log_metrics({"loss": math.inf})
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        train_and_crash()
    [broken] = started
    assert client.flush(30) == 0
    assert client.errors == []
    sweep = _run_node(http, live_service, parent.ref)
    assert len(sweep["children"]) == 2
    child = _run_node(http, live_service, trial.ref)
    assert child["parent"]["ref"] == parent.ref
    assert child["config"] == {"lr": 0.01}
    failed = _run_node(http, live_service, broken.ref)
    assert failed["status"] == "FAILED"
    assert failed["errorType"] == "ZeroDivisionError"
    assert failed["errorMessage"] == "division by zero"
    assert failed["loss"][0]["valueText"] == "Infinity"


def test_bad_input_is_reported_and_loses_nothing_else(client, live_service, http):
    run = client.start_run("careless", **NO_CAPTURE)
    run.consume("dataset:never-registered@1")
    run.log_metrics({"loss": 1.0})
    with pytest.warns(lg.LineageWarning, match="NOT_FOUND"):
        assert client.flush(30) == 0
    assert [e.code for e in client.errors] == ["NOT_FOUND"]
    run.end()
    assert client.flush(30) == 0
    node = _run_node(http, live_service, run.ref)
    assert node["status"] == "COMPLETED"
    assert node["consumed"] == []
    assert len(node["loss"]) == 1


def test_an_outage_mid_run_is_healed_by_lineage_sync(settings, http, tmp_path):
    spool = tmp_path / "spool"
    with run_service(settings) as first:
        client = lg.Client(
            url=first.url, spool_dir=spool, handle_sigterm=False, retry_initial=0.05, retry_max=0.2
        )
        run = client.start_run("outage", **NO_CAPTURE)
        for step in range(500):
            run.log_metrics({"loss": float(step), "auc": step / 1000}, step=step)
        assert client.flush(30) == 0
    # the service is gone: training goes on, events wait in the spool
    for step in range(500, 1000):
        run.log_metrics({"loss": float(step), "auc": step / 1000}, step=step)
    model = run.log_model("outage-model", uri="s3://models/outage.bin", version="1")
    run.end()
    assert client.close(timeout=1) == 502
    assert pending_in_spool(spool)[0] == 502
    with run_service(settings) as second:
        assert lineage_main(["sync", "--url", second.url, "--spool-dir", str(spool)]) == 0
        assert pending_in_spool(spool) == (0, 0)
        assert lineage_main(["sync", "--url", second.url, "--spool-dir", str(spool)]) == 0
        node = _run_node(http, second, run.ref)
        assert node["status"] == "COMPLETED"
        steps = [p["step"] for p in node["loss"]]
        assert steps == list(range(1000))  # every point exactly once
        assert [p["value"] for p in node["loss"]] == [float(s) for s in range(1000)]
        auc = _query(
            http,
            second,
            "query($ref: String!) { node(ref: $ref) { ... on Run "
            '{ metric(key: "auc") { step } } } }',
            ref=run.ref,
        )["node"]["metric"]
        assert len(auc) == 1000
        assert [a["ref"] for a in node["produced"]] == [model.ref]


def test_with_auth_a_token_without_write_scope_keeps_events_for_sync(
    settings, driver, catalog, http, tmp_path
):
    from lineagegraph.graph.tokens import TokenStore

    tokens = TokenStore(driver, settings.neo4j_database, catalog)
    reader = tokens.create("read", "dashboard").secret
    writer = tokens.create("write", "trainer").secret
    spool = tmp_path / "spool"
    with run_service(settings.model_copy(update={"auth_enabled": True})) as service:
        client = lg.Client(
            url=service.url,
            token=reader,
            spool_dir=spool,
            handle_sigterm=False,
            retry_initial=0.05,
            retry_max=0.1,
        )
        run = client.start_run("wrong-token", **NO_CAPTURE)
        for step in range(10):
            run.log_metrics({"loss": float(step)})
        run.end()
        assert client.flush(1.0) == 12  # refused, never raised, never dropped
        assert "FORBIDDEN" in client.stats()["last_error"]
        assert client.errors == []
        client.close(0)
        command = ["sync", "--url", service.url, "--token", writer, "--spool-dir", str(spool)]
        assert lineage_main(command) == 0
        response = http.post(
            service.url + "/graphql",
            headers={"Authorization": f"Bearer {reader}"},
            json={
                "query": f'{{ node(ref: "{run.ref}") {{ ... on Run {{ status '
                'metric(key: "loss") { step } } } }'
            },
        )
        node = response.json()["data"]["node"]
        assert node["status"] == "COMPLETED"
        assert len(node["metric"]) == 10
