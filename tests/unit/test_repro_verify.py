"""Bitwise and algorithmic verification of one run against another."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lineagegraph.errors import BadInput
from lineagegraph.models import ArtifactStatus, RunStatus
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.render import render_verdict, verdict_json
from lineagegraph.repro.tolerance import Tolerance
from lineagegraph.repro.verdict import Outcome, Verdict
from lineagegraph.repro.verify import verify_pair

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def run(**overrides: Any) -> RunSnapshot:
    fields: dict[str, Any] = {
        "ref": f"run:{uuid.uuid4()}",
        "status": RunStatus.COMPLETED,
        "produced": [ProducedArtifact(name="model.pkl", ref="model:clf@1", digest=D1)],
        "final_metrics": {"accuracy": 0.9},
    }
    fields.update(overrides)
    return RunSnapshot(**fields)


def npy(tmp_path: Path, name: str, array: np.ndarray, digest: str) -> ProducedArtifact:
    path = tmp_path / f"{uuid.uuid4().hex}-{name}"
    np.save(path, array)  # np.save adds .npy when missing
    path = path if path.suffix == ".npy" else path.with_name(path.name + ".npy")
    return ProducedArtifact(name=name, ref=f"dataset:{name}@{digest[-4:]}", digest=digest,
                            local_path=path)  # fmt: skip


def outcomes(verdict: Verdict) -> dict[str, Outcome]:
    return {f"{e.level.value} {e.item}": e.outcome for e in verdict.evidence}


# --- bitwise -------------------------------------------------------------------------------
def test_same_digests_reach_bitwise():
    verdict = verify_pair(run(), run(), Level.BITWISE)
    assert verdict.passed
    assert verdict.level_achieved is Level.BITWISE
    assert outcomes(verdict) == {"bitwise artifact model.pkl": Outcome.PASS}


def test_tampered_artifact_fails_bitwise_and_falls_back_to_algorithmic():
    tampered = [ProducedArtifact(name="model.pkl", ref="model:clf@2", digest=D2)]
    verdict = verify_pair(run(), run(produced=tampered), Level.BITWISE)
    assert not verdict.passed
    assert verdict.level_achieved is Level.ALGORITHMIC  # the metric still agrees
    bitwise = verdict.evidence[0]
    assert (bitwise.outcome, bitwise.data) == (Outcome.FAIL, {"digest_a": D1, "digest_b": D2})
    # a pickle is not an array: not compared at the algorithmic level, the metric decides
    assert outcomes(verdict)["algorithmic artifact model.pkl"] is Outcome.SKIP


def test_tampered_artifact_and_changed_metric_achieve_nothing():
    tampered = [ProducedArtifact(name="model.pkl", ref="model:clf@2", digest=D2)]
    b = run(produced=tampered, final_metrics={"accuracy": 0.7})
    verdict = verify_pair(run(), b, Level.BITWISE)
    assert verdict.level_achieved is None
    assert "NOT REACHED" in render_verdict(verdict)


def test_missing_digest_missing_output_and_pending_upload_fail_bitwise():
    a = run(
        produced=[
            ProducedArtifact(name="model.pkl", ref="model:clf@1", digest=D1),
            ProducedArtifact(name="extra", ref="dataset:extra@1", digest=D1),
            ProducedArtifact(name="weights", ref="dataset:w@1", digest=D2),
        ]
    )
    b = run(
        produced=[
            ProducedArtifact(name="model.pkl", ref="model:clf@2", digest=None),
            ProducedArtifact(
                name="weights", ref="dataset:w@2", digest=D2, status=ArtifactStatus.PENDING
            ),
        ]
    )
    verdict = verify_pair(a, b, Level.BITWISE)
    details = {e.item: e.detail for e in verdict.evidence if e.level is Level.BITWISE}
    assert details["artifact model.pkl"].startswith("no digest recorded")
    assert details["artifact extra"] == f"produced only by {a.ref}"
    assert details["artifact weights"].startswith("bytes not uploaded yet")
    assert not verdict.passed


def test_reports_without_bytes_compare_their_values():
    def report(auc: float) -> list[ProducedArtifact]:
        return [ProducedArtifact(name="eval", ref="report:e@1", values={"auc": auc, "x": 1.0})]

    assert verify_pair(run(produced=report(0.9)), run(produced=report(0.9)), Level.BITWISE).passed
    close = verify_pair(run(produced=report(0.9)), run(produced=report(0.9 + 1e-9)),
                        Level.BITWISE)  # fmt: skip
    assert close.level_achieved is Level.ALGORITHMIC
    far = verify_pair(run(produced=report(0.9)), run(produced=report(0.8)), Level.ALGORITHMIC)
    assert not far.passed
    assert far.evidence[-1].data["differing"] == ["auc"]


# --- algorithmic ---------------------------------------------------------------------------
def test_metrics_within_tolerance_pass_and_beyond_fail():
    a = run(final_metrics={"accuracy": 0.9, "loss": 0.3})
    near = run(final_metrics={"accuracy": 0.9 * (1 + 5e-6), "loss": 0.3})
    assert verify_pair(a, near, Level.ALGORITHMIC).passed
    off = run(final_metrics={"accuracy": 0.9 * (1 + 5e-5), "loss": 0.3})
    verdict = verify_pair(a, off, Level.ALGORITHMIC)
    assert verdict.level_achieved is None
    [failed] = verdict.failures
    assert failed.item == "metric accuracy"
    assert failed.data["allowed"] < abs(failed.data["difference"])
    # a looser tolerance accepts the same runs, and is recorded in the verdict
    loose = verify_pair(a, off, Level.ALGORITHMIC, tolerance=Tolerance(rtol=1e-4))
    assert loose.passed
    assert loose.parameters["rtol"] == 1e-4


def test_tolerance_is_symmetric():
    tol = Tolerance(rtol=0.1, atol=0)
    assert tol.close(1.0, 1.1) == tol.close(1.1, 1.0)
    assert tol.close(float("nan"), float("nan"))
    assert not tol.close(float("inf"), 1e308)


def test_metric_missing_in_one_run_fails():
    verdict = verify_pair(run(), run(final_metrics={}), Level.ALGORITHMIC)
    assert [e.detail for e in verdict.failures] == [f"not logged by {verdict.runs_b[0]}"]


def test_chosen_metric_keys_ignore_the_others():
    a = run(final_metrics={"accuracy": 0.9, "seconds": 12.0})
    b = run(final_metrics={"accuracy": 0.9, "seconds": 15.0})
    assert not verify_pair(a, b, Level.ALGORITHMIC).passed
    assert verify_pair(a, b, Level.ALGORITHMIC, metric_keys=["accuracy"]).passed


def test_arrays_within_tolerance_pass_and_beyond_fail(tmp_path: Path):
    base = np.linspace(0, 1, 1000)
    rng = np.random.default_rng(0)
    noisy = base + rng.normal(0, 1e-9, base.shape)
    a = run(produced=[npy(tmp_path, "preds.npy", base, D1)])
    b = run(produced=[npy(tmp_path, "preds.npy", noisy, D2)])
    verdict = verify_pair(a, b, Level.BITWISE)
    assert verdict.level_achieved is Level.ALGORITHMIC
    shifted = base.copy()
    shifted[10] += 1e-3
    c = run(produced=[npy(tmp_path, "preds.npy", shifted, D2)])
    verdict = verify_pair(a, c, Level.ALGORITHMIC)
    assert not verdict.passed
    [failed] = verdict.failures
    assert failed.item == "array preds.npy"
    assert failed.data["mismatched"] == 1
    assert failed.data["max_abs_diff"] == pytest.approx(1e-3)


def test_npz_members_compared_one_by_one(tmp_path: Path):
    def npz(digest: str, labels: np.ndarray, scores: np.ndarray) -> ProducedArtifact:
        path = tmp_path / f"{uuid.uuid4().hex}.npz"
        np.savez(path, labels=labels, scores=scores)
        return ProducedArtifact(name="out.npz", ref="dataset:out@1", digest=digest,
                                local_path=path)  # fmt: skip

    labels, scores = np.array([0, 1, 1, 2]), np.array([0.1, 0.5, 0.7, 0.9])
    a = run(produced=[npz(D1, labels, scores)])
    # integer labels must match exactly, even a one-off change
    b = run(produced=[npz(D2, np.array([0, 1, 2, 2]), scores + 1e-12)])
    verdict = verify_pair(a, b, Level.ALGORITHMIC)
    assert outcomes(verdict) == {
        "algorithmic metric accuracy": Outcome.PASS,
        "algorithmic array out.npz[labels]": Outcome.FAIL,
        "algorithmic array out.npz[scores]": Outcome.PASS,
    }


def test_shape_change_nan_positions_and_unloadable_files(tmp_path: Path):
    a = run(produced=[npy(tmp_path, "x.npy", np.array([1.0, np.nan, np.inf]), D1)])
    same_nan = run(produced=[npy(tmp_path, "x.npy", np.array([1.0, np.nan, np.inf]), D2)])
    assert verify_pair(a, same_nan, Level.ALGORITHMIC).passed
    moved_nan = run(produced=[npy(tmp_path, "x.npy", np.array([np.nan, 1.0, np.inf]), D2)])
    assert not verify_pair(a, moved_nan, Level.ALGORITHMIC).passed
    reshaped = run(produced=[npy(tmp_path, "x.npy", np.ones((3, 1)), D2)])
    [failed] = verify_pair(a, reshaped, Level.ALGORITHMIC).failures
    assert failed.detail == "shapes differ"
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not an array")
    broken = run(produced=[ProducedArtifact(name="x.npy", ref="dataset:x@9", digest=D2,
                                            local_path=garbage)])  # fmt: skip
    [failed] = verify_pair(a, broken, Level.ALGORITHMIC).failures
    assert failed.detail.startswith("cannot load")
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    sneaky = run(produced=[ProducedArtifact(name="x.npy", ref="dataset:x@8", digest=D2,
                                            local_path=pickled)])  # fmt: skip
    [failed] = verify_pair(a, sneaky, Level.ALGORITHMIC).failures
    assert "pickle" in failed.detail


def test_array_bytes_not_downloaded_fail():
    a = run(produced=[ProducedArtifact(name="x.npy", ref="dataset:x@1", digest=D1)])
    b = run(produced=[ProducedArtifact(name="x.npy", ref="dataset:x@2", digest=D2)])
    [failed] = verify_pair(a, b, Level.ALGORITHMIC).failures
    assert failed.detail == "bytes not available locally to compare"


# --- bad input -----------------------------------------------------------------------------
def test_a_run_verified_against_itself_is_an_error():
    a = run()
    with pytest.raises(BadInput, match="against itself"):
        verify_pair(a, a, Level.BITWISE)


@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.FAILED, RunStatus.KILLED])
def test_unfinished_runs_are_an_error(status: RunStatus):
    b = run(status=status)
    with pytest.raises(BadInput, match=f"{b.ref} is {status.value}") as excinfo:
        verify_pair(run(), b, Level.ALGORITHMIC)
    assert excinfo.value.field == "b"


def test_runs_without_outputs_are_an_error_for_bitwise():
    a, b = run(produced=[]), run(produced=[])
    with pytest.raises(BadInput, match="nothing to compare bitwise"):
        verify_pair(a, b, Level.BITWISE)
    # their metrics can still be compared algorithmically
    assert verify_pair(a, b, Level.ALGORITHMIC).passed
    with pytest.raises(BadInput, match="nothing to compare"):
        verify_pair(run(produced=[], final_metrics={}), run(produced=[], final_metrics={}),
                    Level.ALGORITHMIC)  # fmt: skip


def test_statistical_level_needs_groups():
    with pytest.raises(BadInput, match="two groups of trial runs"):
        verify_pair(run(), run(), Level.STATISTICAL)


# --- the stored verdict --------------------------------------------------------------------
def test_verdict_node_properties_are_flat_and_json_safe():
    a = run(final_metrics={"accuracy": float("nan")})
    b = run(final_metrics={"accuracy": float("nan")})
    verdict = verify_pair(a, b, Level.ALGORITHMIC)
    props = verdict.node_properties()
    assert props["ref"] == f"check:{verdict.check_id}"
    assert props["levelAchieved"] == "algorithmic"
    assert props["passed"] is True
    assert all(isinstance(v, str | int | float | bool | list) or v is None for v in props.values())
    evidence = {e["item"]: e for e in json.loads(props["evidenceJson"])}
    assert evidence["metric accuracy"]["data"]["a"] == "NaN"  # JSON has no NaN
    json.dumps(verdict_json(verdict), allow_nan=False)
