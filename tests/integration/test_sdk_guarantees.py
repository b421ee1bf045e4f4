"""The SDK's promises against the running service, checked in Neo4j itself: after an outage and
``lineage sync`` every event is stored exactly once (points per series, params, edges counted);
a full second replay changes nothing; a live client heals by itself when the service returns;
``client.impact`` equals the GraphQL impact query; ``dataset:<name>`` binds to the latest snapshot
(and a replay to the same one); SIGTERM marks KILLED after flushing; the exit flush says what
remains and the next client sends it; bad input (NaN/inf, non-JSON configs, huge tags, logging
after the end, unknown refs) is refused at the call or reported, never crashing the caller."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest

import lineagegraph as lg
from lineagegraph.cli.main import main as lineage_main
from lineagegraph.errors import BadInput
from lineagegraph.sdk.replay import pending_in_spool
from lineagegraph.sdk.spool import SEGMENT_SUFFIX
from tests.conftest import LiveService, run_service
from tests.integration.graph_helpers import fingerprint

NO_CAPTURE = {"code": False, "environment": False, "hardware": False}
DIGEST = "sha256:" + "1" * 64


# --- helpers ---------------------------------------------------------------------------------
def _graph(driver: neo4j.Driver, catalog: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every node (labels, properties) and relationship (type, from, to) stored in Neo4j."""
    records, _, _ = driver.execute_query(
        catalog["admin.graph_fingerprint"].text, routing_=neo4j.RoutingControl.READ
    )
    return list(records[0]["nodes"]), list(records[0]["relationships"])


def _nodes(nodes: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    return [n["props"] for n in nodes if label in n["labels"]]


def _query(http: Any, service: LiveService, query: str, **variables: Any) -> dict[str, Any]:
    response = http.post(service.url + "/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"])


def _client(url: str, spool: Path, **options: Any) -> lg.Client:
    options.setdefault("handle_sigterm", False)
    return lg.Client(url=url, spool_dir=spool, retry_initial=0.05, retry_max=0.2, **options)


def _copy_segments(spool: Path, target: Path) -> int:
    """Copy the spool's segments without their ack files: a replay of all of them from byte 0."""
    target.mkdir(parents=True, exist_ok=True)
    segments = sorted(spool.glob(f"*{SEGMENT_SUFFIX}"))
    for segment in segments:
        shutil.copyfile(segment, target / segment.name)
    return len(segments)


def _sync(url: str, spool: Path) -> int:
    return lineage_main(["sync", "--url", url, "--spool-dir", str(spool)])


@contextlib.contextmanager
def _service_on(settings: Any, port: int) -> Iterator[LiveService]:
    """The real service on a given port (to restart it where a live client expects it)."""
    import uvicorn

    from lineagegraph.app import create_app

    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        assert thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", settings, server)
    finally:
        server.should_exit = True
        thread.join(15)


# --- exactly once ------------------------------------------------------------------------------
def test_after_an_outage_and_lineage_sync_every_event_is_stored_exactly_once(
    settings, driver, catalog, tmp_path
):
    spool = tmp_path / "spool"
    with run_service(settings) as first:
        client = _client(first.url, spool)
        snap = client.register_dataset_snapshot(
            "clicks", version="1", uri="s3://d/c", digest=DIGEST
        )
        parent = client.start_run("sweep", tags={"team": "ranking"}, **NO_CAPTURE)
        parent.log_params({"lr": 0.1, "layers": [64, 32]})
        parent.consume(snap)
        child = client.start_run("trial", parent=parent, **NO_CAPTURE)
        for step in range(300):
            child.log_metrics({"loss": 1.0 / (step + 1), "auc": step / 1000}, step=step)
        assert client.flush(30) == 0
        for step in range(300, 400):  # queued, some perhaps in flight when the service stops
            child.log_metrics({"loss": 1.0 / (step + 1), "auc": step / 1000}, step=step)
    # the service is gone: training goes on and nothing raises
    for step in range(400, 1000):
        child.log_metrics({"loss": 1.0 / (step + 1), "auc": step / 1000}, step=step)
    child.log_params({"epochs": 3})
    child.set_tags({"phase": "two"})
    child.consume(snap)
    child.consume("dataset:clicks")  # binds to clicks@1 as well: the same edge
    model = child.log_model("outage-model", uri="s3://m/1", digest=DIGEST, version="1")
    child.end()
    parent.end()
    remaining = client.close(timeout=1)
    assert remaining >= 607  # at least the 607 events logged after the service stopped
    assert pending_in_spool(spool)[0] == remaining
    full_copy = tmp_path / "spool-copy"
    assert _copy_segments(spool, full_copy) >= 1

    with run_service(settings) as second:
        assert _sync(second.url, spool) == 0
        assert pending_in_spool(spool) == (0, 0)
        nodes, rels = _graph(driver, catalog)
        before = fingerprint(driver, catalog)
        # replay every event of the segment again, also those delivered before the outage
        assert _sync(second.url, full_copy) == 0
        assert fingerprint(driver, catalog) == before

    runs = {r["ref"]: r for r in _nodes(nodes, "Run")}
    assert set(runs) == {parent.ref, child.ref}
    assert {r["status"] for r in runs.values()} == {"COMPLETED"}
    assert sorted(runs[parent.ref]["paramKeys"]) == ["layers", "lr"]
    assert runs[child.ref]["paramKeys"] == ["epochs"]
    assert runs[child.ref]["tagKeys"] == ["phase"]
    series = {s["id"]: s for s in _nodes(nodes, "MetricSeries")}
    assert set(series) == {f"{child.ref}/loss", f"{child.ref}/auc"}
    for key, expected in (("loss", lambda s: 1.0 / (s + 1)), ("auc", lambda s: s / 1000)):
        stored = series[f"{child.ref}/{key}"]
        assert stored["steps"] == list(range(1000))  # every point once, in step order
        assert stored["values"] == [expected(s) for s in range(1000)]
        assert len(stored["times"]) == 1000
    edges = Counter((r["type"], r["from"], r["to"]) for r in rels)
    assert set(edges.values()) == {1}, [e for e, n in edges.items() if n > 1]
    lineage = {(t, a, b) for t, a, b in edges if t != "FLOWS_TO"}
    assert lineage == {
        ("SNAPSHOT_OF", snap.ref, "dataset:clicks"),
        ("CONSUMED", parent.ref, snap.ref),
        ("CONSUMED", child.ref, snap.ref),
        ("PRODUCED", child.ref, model.ref),
        ("CHILD_OF", child.ref, parent.ref),
        ("HAS_METRIC", child.ref, f"{child.ref}/loss"),
        ("HAS_METRIC", child.ref, f"{child.ref}/auc"),
    }
    flows = {(a, b) for t, a, b in edges if t == "FLOWS_TO"}
    assert flows == {(snap.ref, parent.ref), (snap.ref, child.ref), (child.ref, model.ref)}


def test_a_model_logged_during_an_outage_is_registered_pending_and_its_bytes_follow(
    settings, http, tmp_path, caplog
):
    """log_model(path=) with the service down does not raise: the registration is spooled
    PENDING with the file's digest, the bytes are kept in the spool (a hard link: deleting the
    original loses nothing), and after ``lineage sync`` the model is AVAILABLE at the service's
    own blob address with exactly those bytes."""
    spool = tmp_path / "spool"
    weights = tmp_path / "weights.bin"
    data = os.urandom(3 * 1024 * 1024 + 7)
    weights.write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with run_service(settings) as first:
        client = _client(first.url, spool)
        run = client.start_run("outage-upload", **NO_CAPTURE)
        assert client.flush(30) == 0
    with caplog.at_level(logging.WARNING, logger="lineagegraph.sdk"):
        model = run.log_model("outage-weights", path=weights, version="1")  # no raise
    assert "could not upload" in caplog.text
    assert model.digest == digest
    kept = spool / "uploads" / (digest.removeprefix("sha256:") + ".blob")
    assert [p.name for p in (spool / "uploads").glob("*.blob")] == [kept.name]
    run.end()
    client.close(timeout=1)
    weights.unlink()  # the kept link still holds the bytes
    with run_service(settings) as second:
        query = (
            "query($ref: String!) { node(ref: $ref) { ... on Model { status digest uri "
            "sizeBytes isReference } } }"
        )
        assert _sync(second.url, spool) == 0
        assert not list((spool / "uploads").glob("*.blob"))
        node = _query(http, second, query, ref=model.ref)["node"]
        bucket = second.settings.s3_bucket
        assert node == {
            "status": "AVAILABLE",
            "digest": digest,
            "uri": f"s3://{bucket}/blobs/sha256/{digest[7:9]}/{digest[7:]}",
            "sizeBytes": len(data),
            "isReference": False,
        }
        reader = _client(second.url, tmp_path / "spool-reader")
        try:
            reader.download(model.ref, tmp_path / "back.bin")
        finally:
            reader.close(timeout=1)
        assert (tmp_path / "back.bin").read_bytes() == data


def test_a_live_client_delivers_by_itself_once_the_service_is_back(settings, http, tmp_path):
    from lineagegraph.cli._localstack import stack_module

    port = stack_module().free_port()
    with _service_on(settings, port) as first:
        client = _client(first.url, tmp_path / "spool")
        run = client.start_run("flaky", **NO_CAPTURE)
        for step in range(100):
            run.log_metrics({"loss": float(step)}, step=step)
        assert client.flush(30) == 0
    for step in range(100, 300):
        run.log_metrics({"loss": float(step)}, step=step)
    assert client.flush(0.5) == 200  # refused connections: retried, never raised
    assert client.stats()["last_error"]
    with _service_on(settings, port) as second:
        run.end()
        assert client.flush(30) == 0
        node = _query(
            http,
            second,
            'query($ref: String!) { node(ref: $ref) { ... on Run { status metric(key: "loss") '
            "{ step } } } }",
            ref=run.ref,
        )["node"]
        assert node["status"] == "COMPLETED"
        assert [p["step"] for p in node["metric"]] == list(range(300))
        client.close(10)


# --- reads, bindings ---------------------------------------------------------------------------
IMPACT = """query($ref: String!) { impact(ref: $ref) { total
  runs { ref name version depth } datasetSnapshots { ref name version depth }
  featureDefinitions { ref name version depth } models { ref name version depth }
  evaluationReports { ref name version depth } } }"""
GROUPS = {
    "runs": "runs",
    "datasetSnapshots": "dataset_snapshots",
    "featureDefinitions": "feature_definitions",
    "models": "models",
    "evaluationReports": "evaluation_reports",
}


def test_client_impact_has_the_same_content_as_the_graphql_impact_query(
    live_service, http, tmp_path
):
    client = _client(live_service.url, tmp_path / "spool")
    snap = client.register_dataset_snapshot("clicks", version="1", uri="s3://d/1", digest=DIGEST)
    feat = client.register_feature_definition("ctr", version="1", sources=[snap], code="a / b")
    with client.start_run("prep", **NO_CAPTURE) as prep:
        prep.consume(snap)
        derived = prep.log_dataset_snapshot("clicks-clean", "1", uri="s3://d/2", digest=DIGEST)
    with client.start_run("train", **NO_CAPTURE) as train:
        train.consume(feat)
        train.consume(derived)
        model = train.log_model("ranker", uri="s3://m/1", digest=DIGEST)  # numbered: 1
        train.log_evaluation("ranker-eval", model=model, metrics={"auc": 0.9})
    for ref in (snap.ref, "dataset:clicks", feat.ref, model.ref):
        sdk = client.impact(ref)
        raw = _query(http, live_service, IMPACT, ref=ref)["impact"]
        assert sdk.total == raw["total"]
        for gql, attr in GROUPS.items():
            mine = sorted((i.ref, i.name, i.version, i.depth) for i in getattr(sdk, attr))
            theirs = sorted((i["ref"], i["name"], i["version"], i["depth"]) for i in raw[gql])
            assert mine == theirs, (ref, gql)
    everything = client.impact(snap)
    assert everything.refs == {
        prep.ref,
        derived.ref,
        feat.ref,
        train.ref,
        "model:ranker@1",
        "report:ranker-eval@1",
    }
    assert client.errors == []
    client.close(10)


def test_dataset_name_binds_to_the_latest_snapshot_and_a_replay_to_the_same_one(
    settings, driver, catalog, tmp_path, capsys
):
    spool = tmp_path / "spool"
    with run_service(settings) as service:
        client = _client(service.url, spool)
        client.register_dataset_snapshot(
            "clicks", version="2026-11-30", uri="s3://d/a", digest=DIGEST
        )
        assert client.flush(30) == 0
        time.sleep(0.01)  # "latest" is the greatest createdAt
        client.register_dataset_snapshot(
            "clicks", version="2026-12-01", uri="s3://d/b", digest=DIGEST
        )
        run = client.start_run("reader", **NO_CAPTURE)
        run.consume("dataset:clicks")
        run.consume("dataset:never-registered")  # reported, the run goes on
        run.log_metrics({"loss": 1.0})
        with pytest.warns(lg.LineageWarning, match="NOT_FOUND"):
            assert client.flush(30) == 0
        [error] = client.errors
        assert (error.code, error.event_type) == ("NOT_FOUND", "artifact_consumed")
        assert "never-registered" in error.message
        _copy_segments(spool, tmp_path / "again")
        client.register_dataset_snapshot(
            "clicks", version="2026-12-02", uri="s3://d/c", digest=DIGEST
        )
        run.end()
        assert client.flush(30) == 0
        capsys.readouterr()
        assert _sync(service.url, tmp_path / "again") == 0
        assert "NOT_FOUND: dataset:never-registered" in capsys.readouterr().out  # reported again
        client.close(10)
    _, rels = _graph(driver, catalog)
    consumed = [r["to"] for r in rels if r["type"] == "CONSUMED" and r["from"] == run.ref]
    assert consumed == ["dataset:clicks@2026-12-01"]


# --- process ends ------------------------------------------------------------------------------
SIGTERM_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import lineagegraph as lg

    client = lg.Client(url=sys.argv[1], spool_dir=sys.argv[2])
    with client.start_run("terminated", code=False, environment=False, hardware=False) as run:
        for step in range(200):
            run.log_metrics({"loss": float(step)}, step=step)
        print(run.ref, flush=True)
        while True:
            time.sleep(0.05)
    """
)


def test_sigterm_marks_the_run_killed_after_flushing_everything(live_service, http, tmp_path):
    spool = tmp_path / "spool"
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, live_service.url, str(spool)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ref = proc.stdout.readline().strip()
        assert ref.startswith("run:"), proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == -signal.SIGTERM  # the default handler still terminates it
        errors = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    # all acknowledged; the empty segment stays for the next client (the program's own
    # SIGTERM handler may still log after ours)
    assert pending_in_spool(spool)[0] == 0, errors
    node = _query(
        http,
        live_service,
        "query($ref: String!) { node(ref: $ref) { ... on Run { status errorType errorMessage "
        'metric(key: "loss") { step } } } }',
        ref=ref,
    )["node"]
    assert (node["status"], node["errorType"]) == ("KILLED", "SIGTERM")
    assert [p["step"] for p in node["metric"]] == list(range(200))


EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    import lineagegraph as lg

    client = lg.Client(url=sys.argv[1], spool_dir=sys.argv[2], flush_at_exit=0.5,
                       retry_initial=0.05, retry_max=0.1)
    run = client.start_run("offline", code=False, environment=False, hardware=False)
    for step in range(50):
        run.log_metrics({"loss": float(step)}, step=step)
    print(run.ref, flush=True)
    """
)


def test_at_exit_the_client_says_what_remains_and_the_next_client_sends_it(
    live_service, http, tmp_path
):
    from lineagegraph.cli._localstack import stack_module

    spool = tmp_path / "spool"
    nowhere = f"http://127.0.0.1:{stack_module().free_port()}"
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, nowhere, str(spool)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ref = done.stdout.strip()
    # run start + 50 points + the run's end at exit
    assert "52 events not yet acknowledged remain spooled" in done.stderr
    assert pending_in_spool(spool)[0] == 52
    client = _client(live_service.url, spool)  # replays what the dead process left
    status = None
    deadline = time.monotonic() + 60
    while status != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.2)
        with contextlib.suppress(Exception):
            status = client.get_run(ref).fetch()["status"]
    assert status == "COMPLETED"
    assert [s for s, _ in client.get_run(ref).metrics("loss")] == list(range(50))
    client.close(10)
    assert pending_in_spool(spool) == (0, 0)


KILLED_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import lineagegraph as lg

    client = lg.Client(url=sys.argv[1], spool_dir=sys.argv[2])
    run = client.start_run("sigkilled", code=False, environment=False, hardware=False)
    for step in range(3000):
        run.log_metrics({"loss": float(step), "auc": step / 3000}, step=step)
    print(run.ref, client._sender._proc.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no flush, no exit hooks
    """
)


def test_the_sender_process_delivers_what_a_sigkilled_training_process_logged(
    live_service, http, tmp_path
):
    """Every log call returned before the SIGKILL; the sender process, which shares the
    segment, sends all of it on its own, then removes the segment and exits."""
    spool = tmp_path / "spool"
    done = subprocess.run(
        [sys.executable, "-c", KILLED_SCRIPT, live_service.url, str(spool)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    ref, pid = done.stdout.split()
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the sender process outlived its drain"
    assert pending_in_spool(spool) == (0, 0)  # drained: nothing left for `lineage sync`
    query = (
        "query($ref: String!) { node(ref: $ref) { ... on Run { status "
        'loss: metric(key: "loss") { step value } auc: metric(key: "auc") { step } } } }'
    )
    node = _query(http, live_service, query, ref=ref)["node"]
    assert node["status"] == "RUNNING"  # nobody was left to end it
    assert [p["step"] for p in node["loss"]] == list(range(3000))
    assert [p["value"] for p in node["loss"]] == [float(s) for s in range(3000)]
    assert len(node["auc"]) == 3000


@pytest.mark.parametrize("hand_over_delay", [0.0, 0.5])
def test_a_killed_sender_process_is_replaced_by_a_thread_and_nothing_is_lost(
    live_service, tmp_path, hand_over_delay
):
    """A flush that starts before the thread has taken over waits for it (the delay makes
    that moment long; the suite once caught flush() returning 501 in it)."""
    client = _client(live_service.url, tmp_path / "spool")
    try:
        with client.start_run("orphaned-sender", **NO_CAPTURE) as run:
            for step in range(500):
                run.log_metrics({"loss": float(step)}, step=step)
            assert client.flush(30) == 0
            hand_over = client._sender.on_exit  # type: ignore[union-attr]

            def slow_hand_over(ended):
                time.sleep(hand_over_delay)
                hand_over(ended)

            client._sender.on_exit = slow_hand_over  # type: ignore[union-attr]
            child = client._sender._proc  # type: ignore[union-attr]
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            for step in range(500, 1000):
                run.log_metrics({"loss": float(step)}, step=step)
        assert client.flush(30) == 0
        assert type(client._sender).__name__ == "Sender"  # the thread took over
        assert [s for s, _ in client.get_run(run.ref).metrics("loss")] == list(range(1000))
    finally:
        client.close(10)
    assert pending_in_spool(tmp_path / "spool") == (0, 0)


# --- bad input ---------------------------------------------------------------------------------
def test_non_finite_metrics_are_stored_as_such_end_to_end(live_service, http, tmp_path):
    client = _client(live_service.url, tmp_path / "spool")
    with client.start_run("odd-numbers", **NO_CAPTURE) as run:
        run.log_metrics({"loss": math.nan, "gain": 1.5}, step=0)
        run.log_metrics({"loss": math.inf, "gain": np.float32(2.5)}, step=1)
        run.log_metrics({"loss": -math.inf, "gain": np.float64("nan")}, step=2)
        run.log_metrics({"loss": np.float32("-inf"), "gain": np.int64(7)}, step=3)
        run.log_metrics({"loss": 0.25, "gain": 1e308 * 10}, step=4)
    assert client.flush(30) == 0
    assert client.errors == []
    loss = client.get_run(run.ref).metrics("loss")
    assert [s for s, _ in loss] == [0, 1, 2, 3, 4]
    assert math.isnan(loss[0][1])
    assert [v for _, v in loss[1:]] == [math.inf, -math.inf, -math.inf, 0.25]
    gain = run.metrics("gain")
    assert gain[:2] == [(0, 1.5), (1, 2.5)]
    assert math.isnan(gain[2][1])
    assert gain[3:] == [(3, 7.0), (4, math.inf)]
    node = _query(
        http,
        live_service,
        'query($ref: String!) { node(ref: $ref) { ... on Run { metric(key: "loss") '
        "{ step value valueText } } } }",
        ref=run.ref,
    )["node"]
    assert [(p["value"], p["valueText"]) for p in node["metric"]] == [
        (None, "NaN"),
        (None, "Infinity"),
        (None, "-Infinity"),
        (None, "-Infinity"),
        (0.25, None),
    ]
    client.close(10)


def test_bad_input_is_refused_at_the_call_and_nothing_of_it_is_stored(
    live_service, http, driver, catalog, tmp_path
):
    client = _client(live_service.url, tmp_path / "spool")
    with pytest.raises(BadInput, match=r"config\.optimizer\.schedule"):
        client.start_run("nope", config={"optimizer": {"schedule": lambda s: s}}, **NO_CAPTURE)
    with pytest.raises(BadInput, match=r"config\.blob"):
        client.start_run("nope", config={"blob": b"\x00"}, **NO_CAPTURE)
    with pytest.raises(BadInput, match="tags"):
        client.start_run("nope", tags={"note": "x" * 5001}, **NO_CAPTURE)
    run = client.start_run(
        "careful",
        config={"lr": math.nan, "path": Path("/data"), "steps": np.int64(3)},
        tags={"note": "x" * 5000, "big": 10**30},
        **NO_CAPTURE,
    )
    for bad in ({"loss": "0.1"}, {"loss": None}, {"loss": True}, {"": 1.0}, {"k" * 251: 1.0}, {}):
        with pytest.raises(BadInput):
            run.log_metrics(bad, step=0)
    with pytest.raises(BadInput, match="tags"):
        run.set_tags({"note": "y" * 5001})
    with pytest.raises(BadInput, match="params"):
        run.log_params({"fn": object()})
    with pytest.raises(BadInput, match="step"):
        run.log_metrics({"loss": 1.0}, step=-1)
    run.log_metrics({"loss": 1.0}, step=0)
    run.end()
    for late in (
        lambda: run.log_metrics({"loss": 2.0}, step=1),
        lambda: run.log_params({"lr": 0.2}),
        lambda: run.set_tags({"late": "yes"}),
        lambda: run.consume("dataset:clicks"),
        lambda: run.log_model("late", uri="s3://m/late", digest=DIGEST, version="1"),
        lambda: run.end(),
    ):
        with pytest.raises(lg.RunEnded, match="already ended"):
            late()
    assert client.flush(30) == 0
    assert client.errors == []
    nodes, _ = _graph(driver, catalog)
    [stored] = _nodes(nodes, "Run")
    assert (stored["ref"], stored["status"]) == (run.ref, "COMPLETED")
    node = _query(
        http,
        live_service,
        "query($ref: String!) { node(ref: $ref) { ... on Run { config tags params metricKeys "
        'metric(key: "loss") { step value } } } }',
        ref=run.ref,
    )["node"]
    assert node["config"] == {"lr": "NaN", "path": "/data", "steps": 3}
    assert node["tags"] == {"note": "x" * 5000, "big": str(10**30)}
    assert node["params"] in (None, {})
    assert node["metricKeys"] == ["loss"]
    assert node["metric"] == [{"step": 0, "value": 1.0}]
    assert not _nodes(nodes, "Model")
    client.close(10)


def test_a_series_logged_out_of_order_reads_back_in_step_order(live_service, tmp_path):
    client = _client(live_service.url, tmp_path / "spool")
    with client.start_run("shuffled", **NO_CAPTURE) as run:
        for step in (5, 1, 3, 0, 4, 2):
            run.log_metrics({"loss": step / 10}, step=step)
        run.log_metrics({"loss": 0.6})  # no step: the one after the latest used (5)
        run.log_metrics({"loss": 0.33}, step=3)  # a step logged again: the last value wins
    assert client.flush(60) == 0, client.stats()
    assert client.errors == []
    series = client.get_run(run.ref).metrics("loss")
    assert series == [(0, 0.0), (1, 0.1), (2, 0.2), (3, 0.33), (4, 0.4), (5, 0.5), (6, 0.6)]
    client.close(10)
