"""The wiring between the graph and the repro logic, in-process: stored node properties read as
RunSnapshots, the reproduction tags the SDK adds, and where array bytes are found (file://)."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from pathlib import Path

import numpy as np
import pytest

from lineagegraph.api.repro_verify import artifact_bytes, resolve_group, with_array_bytes
from lineagegraph.errors import BadInput
from lineagegraph.graph.repro_store import StoredCheck, check_ref, snapshot_from_row
from lineagegraph.models import ArtifactStatus, RunStatus
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.verdict import Evidence, Outcome, Verdict
from lineagegraph.sdk.reproduce import REPRODUCES_TAG, REPRODUCTION_TAG, reproduction_tags

RUN = f"run:{uuid.uuid4()}"
D = "sha256:" + "a" * 64


def row(**run_props: object) -> dict[str, object]:
    props = {
        "ref": RUN,
        "kind": "RUN",
        "name": "train",
        "status": "COMPLETED",
        "codeJson": json.dumps({"commit": "abc", "dirty": False, "command": ["train.py"]}),
        "environmentJson": json.dumps({"python_version": "3.11.7", "packages": {"numpy": "2"}}),
        "hardwareJson": json.dumps({"cpu_count": 2, "gpus": []}),
        "seedsJson": json.dumps({"numpy": 1}),
        "configJson": json.dumps({"lr": 0.1, "optimizer": {"name": "adam"}}),
        "paramKeys": ["batch"],
        "paramValues": [json.dumps(32)],
        "tagKeys": ["team"],
        "tagValues": ["ml"],
        **run_props,
    }
    return {
        "props": props,
        "consumed": [{"ref": "dataset:clicks@1", "kind": "DATASET_SNAPSHOT", "digest": D}],
        "produced": [
            {"ref": "model:m@2", "kind": "MODEL", "name": "m", "digest": D, "status": "AVAILABLE"},
            {
                "ref": "report:eval@1",
                "kind": "EVALUATION_REPORT",
                "name": "eval",
                "status": "AVAILABLE",
                "reportMetricKeys": ["auc"],
                "reportMetricValues": [0.9],
                "slicesJson": json.dumps(
                    {"c=FR": {"auc": {"value": 0.8, "low": 0.7, "high": 0.9}}}
                ),
            },
            {"ref": "model:p@1", "kind": "MODEL", "name": "p", "status": "PENDING"},
        ],
        "metrics": [{"key": "loss", "value": 0.25}, {"key": "gap", "value": "NaN"}],
    }


def test_a_stored_run_reads_as_a_snapshot():
    snap = snapshot_from_row(row())
    assert (snap.ref, snap.name, snap.status) == (RUN, "train", RunStatus.COMPLETED)
    prov = snap.provenance
    assert prov.code is not None
    assert prov.code.commit == "abc"
    assert prov.environment is not None
    assert prov.environment.packages == {"numpy": "2"}
    assert prov.seeds == {"numpy": 1}
    assert prov.config == {"lr": 0.1, "optimizer": {"name": "adam"}}
    assert (snap.params, snap.tags) == ({"batch": 32}, {"team": "ml"})
    assert [c.ref for c in snap.consumed] == ["dataset:clicks@1"]
    by_name = {p.name: p for p in snap.produced}
    assert by_name["m"].digest == D
    assert by_name["p"].status is ArtifactStatus.PENDING
    assert by_name["eval"].values == {
        "auc": 0.9,
        "c=FR/auc": 0.8,
        "c=FR/auc.low": 0.7,
        "c=FR/auc.high": 0.9,
    }
    assert snap.final_metrics["loss"] == 0.25
    assert math.isnan(snap.final_metrics["gap"])


def test_unknown_provenance_shapes_and_statuses_do_not_break_the_read():
    snap = snapshot_from_row(row(codeJson=json.dumps({"commit": 5, "surprise": True}), status=None))
    assert snap.provenance.code is None
    assert snap.status is RunStatus.RUNNING  # no status yet: not comparable, said so later


def test_a_stored_check_reads_back_as_the_same_verdict():
    verdict = Verdict(
        level_requested=Level.BITWISE,
        level_achieved=Level.ALGORITHMIC,
        runs_a=[RUN],
        runs_b=[f"run:{uuid.uuid4()}"],
        parameters={"rtol": 1e-5},
        evidence=[
            Evidence(level=Level.BITWISE, item="artifact m", outcome=Outcome.FAIL, detail="x")
        ],
    )
    props = verdict.node_properties()
    props["createdAt"] = verdict.created_at
    stored = StoredCheck.from_props(props, side="A")
    assert (stored.passed, stored.failed_items, stored.side) == (False, 1, "A")
    assert stored.to_verdict() == verdict


def test_check_refs():
    ref = f"check:{uuid.uuid4()}"
    assert check_ref(ref.upper().replace("CHECK:", "check:")) == ref
    for bad in ("run:" + ref[6:], "check:nope", ""):
        with pytest.raises(BadInput):
            check_ref(bad)


def test_reproduction_tags_only_on_top_level_runs_of_a_reexecution(monkeypatch):
    monkeypatch.delenv("LINEAGE_REPRODUCES", raising=False)
    assert reproduction_tags({"a": "1"}, top_level=True) == {"a": "1"}
    monkeypatch.setenv("LINEAGE_REPRODUCES", RUN)
    monkeypatch.setenv("LINEAGE_REPRODUCTION", "exec-1")
    assert reproduction_tags({"a": "1"}, top_level=True) == {
        "a": "1",
        REPRODUCES_TAG: RUN,
        REPRODUCTION_TAG: "exec-1",
    }
    assert reproduction_tags({"a": "1"}, top_level=False) == {"a": "1"}


def _npy(path: Path, array: np.ndarray) -> str:
    np.save(path, array)
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_references_are_read_only_when_they_hash_to_the_digest(tmp_path):
    path = tmp_path / "w.npy"
    digest = _npy(path, np.arange(4.0))
    good = ProducedArtifact(name="w.npy", ref="model:w@1", digest=digest, uri=path.as_uri())
    assert artifact_bytes(good, tmp_path, s3=None, bucket=None) == path
    other = ProducedArtifact(name="w.npy", ref="model:w@1", digest=D, uri=path.as_uri())
    assert artifact_bytes(other, tmp_path, s3=None, bucket=None) is None  # not its bytes
    remote = ProducedArtifact(name="w.npy", ref="model:w@1", digest=digest, uri="https://x/w")
    assert artifact_bytes(remote, tmp_path, s3=None, bucket=None) is None
    no_digest = ProducedArtifact(name="w.npy", ref="model:w@1", uri=path.as_uri())
    assert artifact_bytes(no_digest, tmp_path, s3=None, bucket=None) is None


def test_only_differing_array_outputs_are_fetched(tmp_path):
    fetched: list[str] = []

    def fetch(item: ProducedArtifact, workdir: Path) -> Path | None:
        fetched.append(item.ref)
        return None

    def run(ref: str, digest: str) -> RunSnapshot:
        return RunSnapshot(
            ref=ref,
            status=RunStatus.COMPLETED,
            produced=[
                ProducedArtifact(name="same.npy", ref=f"model:s@{ref[-1]}", digest=D),
                ProducedArtifact(name="diff.npy", ref=f"model:d@{ref[-1]}", digest=digest),
                ProducedArtifact(name="m.pkl", ref=f"model:p@{ref[-1]}", digest=digest),
            ],
        )

    a = run(f"run:{uuid.uuid4()}"[:-1] + "1", "sha256:" + "b" * 64)
    b = run(f"run:{uuid.uuid4()}"[:-1] + "2", "sha256:" + "c" * 64)
    with_array_bytes(a, b, fetch, tmp_path)
    assert sorted(fetched) == ["model:d@1", "model:d@2"]


def test_group_items_are_refs_or_tag_selectors():
    class Store:
        def runs_with_tag(self, key: str, value: str) -> list[str]:
            return [RUN] if (key, value) == ("trial", "a") else []

    store = Store()
    assert resolve_group(store, ["trial=a", RUN.upper().replace("RUN:", "run:")], "g") == [  # type: ignore[arg-type]
        RUN,
        RUN,
    ]
    with pytest.raises(BadInput, match="selects no completed run"):
        resolve_group(store, ["trial=b"], "g")  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="not a run ref"):
        resolve_group(store, ["model:x@1"], "g")  # type: ignore[arg-type]
