"""Run diff: every provenance dimension, artifacts paired, metrics with differences."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest

from lineagegraph.errors import BadInput
from lineagegraph.models import (
    CodeVersion,
    Environment,
    Gpu,
    Hardware,
    Provenance,
    RunStatus,
)
from lineagegraph.repro.diff import Pairing, diff_runs
from lineagegraph.repro.inputs import ConsumedArtifact, ProducedArtifact, RunSnapshot
from lineagegraph.repro.keydiff import ChangeKind, diff_mappings, flatten
from lineagegraph.repro.render import diff_json, render_diff

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64


def run(**overrides: Any) -> RunSnapshot:
    provenance = Provenance(
        code=CodeVersion(commit="abc123", dirty=False, entry_point="train.py"),
        environment=Environment(
            python_version="3.11.7",
            packages={"numpy": "2.0.0", "scikit-learn": "1.5.0"},
            packages_digest=D1,
            image_digest=None,
        ),
        hardware=Hardware(cpu_model="x86", cpu_count=8, gpus=[Gpu(name="A100")]),
        seeds={"random": 1, "numpy": 1},
        config={"optimizer": {"lr": 0.1, "momentum": 0.9}, "epochs": 10},
        data_filters={"country": ["FR", "DE"]},
        user="ada",
    )
    fields: dict[str, Any] = {
        "ref": f"run:{uuid.uuid4()}",
        "status": RunStatus.COMPLETED,
        "provenance": provenance,
        "params": {"depth": 3},
        "consumed": [ConsumedArtifact(ref="dataset:iris@v1", digest=D1)],
        "produced": [ProducedArtifact(name="model", ref="model:clf@1", digest=D2)],
        "final_metrics": {"accuracy": 0.9, "loss": 0.25},
    }
    fields.update(overrides)
    return RunSnapshot(**fields)


def provenance_with(base: RunSnapshot, **changes: Any) -> Provenance:
    return base.provenance.model_copy(update=changes)


def test_identical_provenance_reports_nothing_changed():
    a = run()
    b = run(produced=[ProducedArtifact(name="model", ref="model:clf@2", digest=D2)])
    diff = diff_runs(a, b)
    assert diff.changed_dimensions == []
    assert all(not s.changes for s in diff.sections)
    assert [p.status for p in diff.outputs] == [Pairing.EQUAL]
    assert "differs in: nothing" in render_diff(diff)


def test_every_dimension_is_compared():
    a = run()
    env_b = a.provenance.environment.model_copy(  # type: ignore[union-attr]
        update={
            "python_version": "3.12.1",
            "packages": {"numpy": "2.1.0", "torch": "2.3.0"},
            "packages_digest": D2,
            "image_digest": D3,
        }
    )
    b = run(
        provenance=provenance_with(
            a,
            code=CodeVersion(commit="def456", dirty=True, diff_digest=D3, entry_point="train.py"),
            environment=env_b,
            hardware=Hardware(cpu_model="arm", cpu_count=8, gpus=[]),
            seeds={"random": 2, "numpy": 1, "torch": 7},
            config={"optimizer": {"lr": 0.01}, "epochs": 10, "scheduler": "cosine"},
            data_filters={"country": ["FR"]},
            user="grace",
        ),
        params={"depth": 5},
        consumed=[ConsumedArtifact(ref="dataset:iris@v2", digest=D3)],
        produced=[ProducedArtifact(name="model", ref="model:clf@2", digest=D3)],
        final_metrics={"accuracy": 0.8, "f1": 0.7},
    )
    diff = diff_runs(a, b)
    assert diff.changed_dimensions == [
        "code", "data", "environment", "hardware", "config", "params", "seeds",
        "data_filters", "run", "outputs", "metrics",
    ]  # fmt: skip

    def changes(section: str) -> dict[str, tuple[ChangeKind, Any, Any]]:
        return {c.path: (c.kind, c.a, c.b) for c in diff.section(section).changes}

    assert changes("code") == {
        "commit": (ChangeKind.CHANGED, "abc123", "def456"),
        "dirty": (ChangeKind.CHANGED, False, True),
        "diff_digest": (ChangeKind.ADDED, None, D3),
    }
    env = changes("environment")
    assert env["packages.numpy"] == (ChangeKind.CHANGED, "2.0.0", "2.1.0")
    assert env["packages.scikit-learn"] == (ChangeKind.REMOVED, "1.5.0", None)
    assert env["packages.torch"] == (ChangeKind.ADDED, None, "2.3.0")
    assert env["python_version"] == (ChangeKind.CHANGED, "3.11.7", "3.12.1")
    assert env["image_digest"] == (ChangeKind.ADDED, None, D3)
    assert env["packages_digest"][0] is ChangeKind.CHANGED
    hardware = changes("hardware")
    assert hardware["cpu_model"] == (ChangeKind.CHANGED, "x86", "arm")
    assert "cpu_count" not in hardware
    assert hardware["gpus"][0] is ChangeKind.REMOVED  # no GPU on b
    assert changes("config") == {
        "optimizer.lr": (ChangeKind.CHANGED, 0.1, 0.01),
        "optimizer.momentum": (ChangeKind.REMOVED, 0.9, None),
        "scheduler": (ChangeKind.ADDED, None, "cosine"),
    }
    assert changes("params") == {"depth": (ChangeKind.CHANGED, 3, 5)}
    assert changes("seeds") == {
        "random": (ChangeKind.CHANGED, 1, 2),
        "torch": (ChangeKind.ADDED, None, 7),
    }
    assert changes("data_filters") == {"country": (ChangeKind.CHANGED, ["FR", "DE"], ["FR"])}
    assert changes("run") == {"user": (ChangeKind.CHANGED, "ada", "grace")}
    # a new version of the same dataset is one changed input, not a removal and an addition
    [data] = diff.inputs
    assert (data.key, data.ref_a, data.ref_b, data.status) == (
        "dataset:iris", "dataset:iris@v1", "dataset:iris@v2", Pairing.DIFFERENT,
    )  # fmt: skip
    assert [(o.key, o.status) for o in diff.outputs] == [("model", Pairing.DIFFERENT)]
    metrics = {m.key: m for m in diff.metrics}
    assert metrics["accuracy"].difference == pytest.approx(-0.1)
    assert metrics["accuracy"].relative == pytest.approx(-0.1 / 0.9)
    assert (metrics["loss"].a, metrics["loss"].b) == (0.25, None)
    assert (metrics["f1"].a, metrics["f1"].b) == (None, 0.7)


def test_artifacts_only_in_one_run_and_missing_digests():
    a = run(
        produced=[
            ProducedArtifact(name="model", ref="model:clf@1", digest=None),
            ProducedArtifact(name="preds.npy", ref="dataset:preds@1", digest=D1),
        ]
    )
    b = run(
        produced=[
            ProducedArtifact(name="model", ref="model:clf@2", digest=D2),
            ProducedArtifact(name="report", ref="report:eval@1", digest=D3),
        ],
        consumed=[],
    )
    diff = diff_runs(a, b)
    assert {o.key: o.status for o in diff.outputs} == {
        "model": Pairing.UNKNOWN,
        "preds.npy": Pairing.ONLY_A,
        "report": Pairing.ONLY_B,
    }
    assert [(i.key, i.status) for i in diff.inputs] == [("dataset:iris", Pairing.ONLY_A)]


def test_two_outputs_with_one_name_is_an_error():
    twice = [
        ProducedArtifact(name="model", ref="model:clf@1", digest=D1),
        ProducedArtifact(name="model", ref="model:clf@2", digest=D2),
    ]
    with pytest.raises(BadInput, match="two artifacts named 'model'"):
        diff_runs(run(produced=twice), run())


def test_a_run_diffed_with_itself_is_an_error():
    a = run()
    with pytest.raises(BadInput, match="itself") as excinfo:
        diff_runs(a, a)
    assert excinfo.value.field == "b"


def test_unfinished_runs_can_be_diffed_and_show_their_status():
    a, b = run(), run(status=RunStatus.RUNNING)
    changes = {c.path: (c.a, c.b) for c in diff_runs(a, b).section("run").changes}
    assert changes["status"] == ("COMPLETED", "RUNNING")


def test_nested_paths_quote_keys_holding_dots():
    assert flatten({"a": {"b.c": 1, "d": {}}}) == {'a["b.c"]': 1, "a.d": {}}
    changes = diff_mappings({"x": True, "y": math.nan}, {"x": 1, "y": math.nan})
    assert [(c.path, c.kind) for c in changes] == [("x", ChangeKind.CHANGED)]


def test_json_document_is_valid_json_even_with_nan_metrics():
    a = run(final_metrics={"loss": math.nan, "acc": 0.5})
    b = run(final_metrics={"loss": math.nan, "acc": 0.75})
    document = diff_json(diff_runs(a, b))
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text)["changed_dimensions"] == ["metrics"]
    metrics = {m["key"]: m for m in document["metrics"]}
    assert metrics["loss"]["a"] == "NaN"
    assert metrics["acc"]["difference"] == 0.25


def test_human_table_names_the_changed_parameter():
    a = run()
    b = run(params={"depth": 7})
    text = render_diff(diff_runs(a, b))
    assert "differs in: params" in text
    [line] = [ln for ln in text.splitlines() if ln.startswith("params")]
    assert line.split() == ["params", "depth", "3", "7", "changed"]
