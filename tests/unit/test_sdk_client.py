"""The public SDK API against the fake service: the issue's example end to end, child and
failing runs, server-numbered models, reads, and every kind of bad input."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import random
import socket
import uuid

import pytest
from pydantic import BaseModel

import lineagegraph as lg
from lineagegraph.errors import BadInput, Unavailable
from lineagegraph.sdk.testing import FakeService, client_for

NO_CAPTURE = {"code": False, "environment": False, "hardware": False}


@pytest.fixture
def service():
    return FakeService()


@pytest.fixture
def client(service, tmp_path):
    client = client_for(
        service, tmp_path / "spool", handle_sigterm=False, retry_initial=0.01, retry_max=0.05
    )
    yield client
    service.release()
    client.close(timeout=5)


def _started(service, run):
    return service.runs[str(run.id)]


def test_the_issue_example_end_to_end(client, service, tmp_path):
    data = tmp_path / "clicks.parquet"
    data.write_bytes(b"clicks" * 1000)
    (tmp_path / "model.pt").write_bytes(b"weights")
    (tmp_path / "holdout.parquet").write_bytes(b"holdout")
    snap = client.register_dataset_snapshot("clicks", version="2026-12-01", path=data)
    feat = client.register_feature_definition("ctr_7d", version="3", sources=[snap], code="a/b")
    cfg = {"lr": 0.01, "layers": [64, 32]}
    with client.start_run("train-ranker", config=cfg, seed=42, tags={"team": "ranking"}) as run:
        run.consume(snap)
        run.consume(feat)
        for step in range(50):
            run.log_metrics({"loss": 1.0 / (step + 1), "auc": 0.5 + step / 100}, step=step)
        model = run.log_model("ranker", path=tmp_path / "model.pt")
        held_out = run.log_dataset_snapshot(
            "clicks-holdout", version="1", path=tmp_path / "holdout.parquet"
        )
        report = run.log_evaluation(
            "ranker-eval",
            model=model,
            metrics={"auc": 0.91},
            slices={"country=US": {"auc": (0.93, 0.91, 0.95)}},
        )
    assert client.flush(10) == 0
    assert client.errors == []
    assert snap.ref == "dataset:clicks@2026-12-01"
    assert snap.digest == "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    assert feat.ref == "feature:ctr_7d@3"
    assert model.ref == "model:ranker@1"  # numbered by the service
    assert held_out.ref == "dataset:clicks-holdout@1"
    spec = service.artifacts[report.ref]
    assert spec["evaluates"] == "model:ranker@1"
    assert spec["slices"]["country=US"]["auc"]["low"] == 0.91
    assert _started(service, run)["status"] == "COMPLETED"
    assert _started(service, run)["provenance"]["config"] == cfg
    assert _started(service, run)["provenance"]["seeds"]["random"] == 42
    impact = client.impact(snap)
    assert {run.ref, feat.ref, model.ref, held_out.ref, report.ref} <= impact.refs
    assert impact.total == len(impact.refs)
    assert [v for _, v in client.get_run(run.ref).metrics("loss")][:2] == [1.0, 0.5]


def test_an_evaluation_of_a_model_still_being_numbered_waits_in_the_spool(client, service):
    service.hold()
    run = client.start_run("offline-eval", **NO_CAPTURE)
    model = run.log_model("ranker", uri="s3://models/r.pt")
    assert model.pending
    with pytest.raises(Unavailable, match="not yet numbered"):
        model.wait(timeout=0.1)
    report = run.log_evaluation("eval", model=model, metrics={"auc": 0.8})
    run.consume(model)
    service.release()
    assert client.flush(10) == 0
    assert client.errors == []
    assert model.ref == "model:ranker@1"
    assert report.ref == "report:eval@1"
    assert service.artifacts[report.ref]["evaluates"] == "model:ranker@1"
    assert (f"run:{run.id}", "CONSUMED", "model:ranker@1") in service.edges


def test_a_second_model_of_the_same_name_gets_the_next_number(client):
    run = client.start_run("versions", **NO_CAPTURE)
    first = run.log_model("m", uri="s3://b/1", digest="sha256:" + "a" * 64)
    second = run.log_model("m", uri="s3://b/2", digest="sha256:" + "b" * 64)
    assert (first.ref, second.ref) == ("model:m@1", "model:m@2")


def test_nested_with_blocks_make_child_runs(client, service):
    with client.start_run("parent", **NO_CAPTURE) as parent:
        with (
            client.start_run("child", **NO_CAPTURE) as child,
            client.start_run("grandchild", **NO_CAPTURE) as grandchild,
        ):
            pass
        explicit = client.start_run("explicit", parent=child, **NO_CAPTURE)
        explicit.end()
    top = client.start_run("top-level-again", **NO_CAPTURE)
    top.end()
    client.flush(10)
    assert _started(service, child)["parent_run_id"] == str(parent.id)
    assert _started(service, grandchild)["parent_run_id"] == str(child.id)
    assert _started(service, explicit)["parent_run_id"] == str(child.id)
    assert _started(service, parent)["parent_run_id"] is None
    assert _started(service, top)["parent_run_id"] is None
    assert child.parent is parent


def test_an_exception_marks_the_run_failed_and_propagates(client, service):
    class DivergedError(RuntimeError):
        pass

    def train():
        with client.start_run("diverges", **NO_CAPTURE) as run:
            run.log_metrics({"loss": math.inf})
            raise DivergedError("loss went to infinity at step 1")

    with pytest.raises(DivergedError):
        train()
    client.flush(10)
    [run] = [r for r in service.runs.values() if r["name"] == "diverges"]
    finished = [e for e in service.events.values() if e["type"] == "run_finished"]
    assert finished[0]["status"] == "FAILED"
    assert finished[0]["error_type"].endswith("DivergedError")
    assert finished[0]["error_message"] == "loss went to infinity at step 1"
    assert run["status"] == "FAILED"


def test_ctrl_c_marks_the_run_killed(client, service):
    with pytest.raises(KeyboardInterrupt), client.start_run("interrupted", **NO_CAPTURE) as run:
        raise KeyboardInterrupt
    client.flush(10)
    assert _started(service, run)["status"] == "KILLED"


def test_logging_after_the_run_ended_is_a_clear_error(client, tmp_path):
    with client.start_run("short", **NO_CAPTURE) as run:
        run.log_metrics({"x": 1.0})
    calls = [
        lambda: run.log_metrics({"x": 2.0}),
        lambda: run.log_params({"lr": 0.1}),
        lambda: run.set_tags({"a": "b"}),
        lambda: run.consume("dataset:clicks"),
        lambda: run.log_model("m", uri="s3://b/m"),
        lambda: run.end(),
    ]
    for call in calls:
        with pytest.raises(lg.RunEnded, match="already ended"):
            call()


def test_huge_tag_values_are_refused_at_the_call(client):
    with pytest.raises(BadInput, match="longer than 5000"):
        client.start_run("tagged", tags={"note": "x" * 6000}, **NO_CAPTURE)
    run = client.start_run("tagged", tags={"epochs": 3, "fast": True}, **NO_CAPTURE)
    with pytest.raises(BadInput, match="longer than 5000"):
        run.set_tags({"note": "x" * 6000})
    with pytest.raises(BadInput, match="tag values must be strings"):
        run.set_tags({"nested": {"a": 1}})


def test_tag_numbers_and_bools_become_strings(client, service):
    run = client.start_run("tagged", tags={"epochs": 3, "fast": True}, **NO_CAPTURE)
    client.flush(10)
    assert _started(service, run)["tags"] == {"epochs": "3", "fast": "true"}


def test_a_config_that_cannot_be_json_names_the_bad_value(client):
    config = {"optimizer": {"name": "adam", "schedule": lambda step: 0.1}}
    with pytest.raises(BadInput, match=r"config\.optimizer\.schedule") as excinfo:
        client.start_run("bad-config", config=config, **NO_CAPTURE)
    assert excinfo.value.field == "config.optimizer.schedule"
    with pytest.raises(BadInput, match="binary data"):
        client.start_run("bad-config", config={"blob": b"\x00"}, **NO_CAPTURE)
    with pytest.raises(BadInput, match="must be a dict"):
        client.start_run("bad-config", config=[1, 2], **NO_CAPTURE)


@dataclasses.dataclass
class _Optim:
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)


class _Settings(BaseModel):
    epochs: int = 3
    optim: dict[str, float] = {"lr": 0.001}


def test_configs_of_every_documented_shape_become_json(client, service):
    shapes = [
        (
            {"optim": _Optim(), "eps": math.nan},
            {"optim": {"name": "adam", "betas": [0.9, 0.999]}, "eps": "NaN"},
        ),
        (_Settings(), {"epochs": 3, "optim": {"lr": 0.001}}),
        (argparse.Namespace(lr=0.1, layers=(1, 2)), {"lr": 0.1, "layers": [1, 2]}),
        (_Optim(), {"name": "adam", "betas": [0.9, 0.999]}),
    ]
    for config, expected in shapes:
        run = client.start_run("configured", config=config, **NO_CAPTURE)
        client.flush(10)
        assert _started(service, run)["provenance"]["config"] == expected


def test_data_filters_and_params_have_their_own_fields(client, service):
    run = client.start_run(
        "filtered",
        data_filters={"country": ["US", "DE"], "since": "2026-01-01"},
        params={"batch_size": 256},
        **NO_CAPTURE,
    )
    run.log_params({"dropout": 0.1})
    client.flush(10)
    assert _started(service, run)["provenance"]["data_filters"]["country"] == ["US", "DE"]
    assert _started(service, run)["params"] == {"batch_size": 256, "dropout": 0.1}


def test_nan_and_infinity_are_stored_and_read_back_as_such(client):
    run = client.start_run("non-finite", **NO_CAPTURE)
    run.log_metrics({"loss": math.nan})
    run.log_metrics({"loss": math.inf})
    run.log_metrics({"loss": -math.inf})
    series = run.metrics("loss")
    assert [step for step, _ in series] == [0, 1, 2]
    assert math.isnan(series[0][1])
    assert series[1][1] == math.inf
    assert series[2][1] == -math.inf


def test_steps_count_up_per_run_and_series_come_back_in_step_order(client):
    run = client.start_run("steps", **NO_CAPTURE)
    other = client.start_run("other", **NO_CAPTURE)
    run.log_metrics({"loss": 0.0})
    run.log_metrics({"loss": 1.0})
    other.log_metrics({"loss": 9.0})
    run.log_metrics({"loss": 10.0}, step=10)
    run.log_metrics({"loss": 11.0})
    run.log_metrics({"loss": 5.0}, step=5)  # out of order: still read back in step order
    assert run.metrics("loss") == [(0, 0.0), (1, 1.0), (5, 5.0), (10, 10.0), (11, 11.0)]
    assert client.get_run(other.ref).metrics("loss") == [(0, 9.0)]


def test_consume_of_an_unknown_ref_is_reported_not_raised(client):
    run = client.start_run("reader", **NO_CAPTURE)
    run.consume("dataset:never-registered")
    with pytest.warns(lg.LineageWarning, match="NOT_FOUND"):
        client.flush(10)
    assert [e.code for e in client.errors] == ["NOT_FOUND"]


def test_file_artifacts_are_checked_at_the_call(client, tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"abc")
    good = "sha256:" + hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(BadInput, match="no such file"):
        client.register_dataset_snapshot("d", "1", path=tmp_path / "missing.bin")
    with pytest.raises(BadInput, match="is a directory"):
        client.register_dataset_snapshot("d", "1", path=tmp_path)
    with pytest.raises(BadInput, match="either path"):
        client.register_dataset_snapshot("d", "1", path=real, uri="s3://b/k")
    with pytest.raises(BadInput, match="not the declared"):
        client.register_dataset_snapshot("d", "1", path=real, digest="sha256:" + "0" * 64)
    with pytest.raises(BadInput, match="digest"):
        client.register_dataset_snapshot("d", "1", uri="s3://b/k", digest="md5:abc")
    snap = client.register_dataset_snapshot(
        "d", "1", path=real, digest=good.upper().replace("SHA256", "sha256")
    )
    assert (snap.digest, snap.size_bytes) == (good, 3)


def test_a_reference_artifact_records_uri_and_digest(client, service):
    digest = "sha256:" + "c" * 64
    snap = client.register_dataset_snapshot("ref", "1", uri="s3://lake/ref.parquet", digest=digest)
    client.flush(10)
    spec = service.artifacts[snap.ref]
    assert (spec["uri"], spec["digest"], spec["is_reference"]) == (
        "s3://lake/ref.parquet",
        digest,
        True,
    )


def test_seed_everything_seeds_and_start_run_records_it(client, service):
    seeded = lg.seed_everything(7)
    assert seeded["random"] == 7
    assert seeded["numpy"] == 7
    first = random.random()
    run = client.start_run("seeded", seed=123, **NO_CAPTURE)
    again = random.random()
    random.seed(123)
    assert random.random() == again != first
    implicit = client.start_run("after-seed-everything", **NO_CAPTURE)
    client.flush(10)
    assert _started(service, run)["provenance"]["seeds"] == {"random": 123, "numpy": 123}
    assert _started(service, implicit)["provenance"]["seeds"]["random"] == 123
    with pytest.raises(BadInput, match="seed"):
        lg.seed_everything(-1)


def test_provenance_can_be_overridden_or_left_out(client, service):
    captured = client.start_run("captured")
    overridden = client.start_run(
        "overridden", code={"commit": "abc123", "dirty": False}, environment=False, hardware=False
    )
    client.flush(10)
    prov = _started(service, captured)["provenance"]
    assert prov["environment"]["python_version"]
    assert prov["environment"]["packages_digest"].startswith("sha256:")
    assert prov["environment"]["packages"]["pydantic"]
    assert prov["hardware"]["cpu_count"] >= 1
    assert prov["code"]["command"]
    assert prov["user"]
    other = _started(service, overridden)["provenance"]
    assert other["code"]["commit"] == "abc123"
    assert other["environment"] is None
    assert other["hardware"] is None


def test_a_network_error_never_reaches_training_code(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = lg.Client(
        url=f"http://127.0.0.1:{port}",
        spool_dir=tmp_path / "spool",
        handle_sigterm=False,
        retry_initial=0.01,
        retry_max=0.02,
    )
    try:
        with client.start_run("offline", **NO_CAPTURE) as run:
            for step in range(100):
                run.log_metrics({"loss": float(step)})
            run.log_model("m", uri="s3://b/m")
        assert client.flush(timeout=3) == 103  # (the sender process needs a moment to start)
        assert client.stats()["last_error"]
        with pytest.raises(Unavailable):
            client.get_run(run.ref).metrics("loss")
    finally:
        client.close(timeout=0)
    assert list((tmp_path / "spool").glob("*.wal"))  # kept for the next client or `lineage sync`


def test_get_run_takes_only_run_refs(client):
    with pytest.raises(BadInput, match="not a run ref"):
        client.get_run("dataset:clicks@1")
    assert client.get_run(f"run:{uuid.uuid4()}").ref.startswith("run:")


def test_url_token_and_spool_come_from_the_settings(monkeypatch, tmp_path):
    seen = []
    service = FakeService()

    def spy(request):
        seen.append((request.url.host, request.headers.get("authorization")))
        return service.handle(request)

    import httpx

    monkeypatch.setenv("LINEAGE_URL", "http://lineage.internal:8000")
    monkeypatch.setenv("LINEAGE_TOKEN", "lg_secret_token")
    monkeypatch.setenv("LINEAGE_SPOOL_DIR", str(tmp_path / "env-spool"))
    client = lg.Client(transport=httpx.MockTransport(spy), handle_sigterm=False)
    try:
        assert list((tmp_path / "env-spool").glob("*.wal"))
        client.start_run("configured-by-env", **NO_CAPTURE).end()
        assert client.flush(10) == 0
    finally:
        client.close(5)
    assert seen[0] == ("lineage.internal", "Bearer lg_secret_token")
