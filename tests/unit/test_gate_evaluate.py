"""The gate: each requirement passes on a good model and fails alone when its fact is broken."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from lineagegraph.gate.evaluate import evaluate_gate
from lineagegraph.gate.facts import DeprecatedUpstream, GateFacts, ModelFacts, ReportSnapshot
from lineagegraph.gate.policy import GatePolicy
from lineagegraph.gate.policy_file import parse_policy
from lineagegraph.gate.report import EXIT_BLOCKED, EXIT_SHIP, exit_code, render_report, report_json
from lineagegraph.models import CodeVersion, Environment, Interval, Provenance, RunStatus
from lineagegraph.repro.inputs import ConsumedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level

D1 = "sha256:" + "a" * 64

POLICY: dict[str, Any] = {
    "provenance": True,
    "no_deprecated_upstream": True,
    "reproducibility": "algorithmic",
    "evaluation": {
        "thresholds": ["auc >= 0.90", "slice country=* auc >= 0.85", "loss <= 0.4"],
    },
    "improvement": {"baseline": {"deployed": "prod"}, "metrics": ["auc"]},
}


def interval(value: float, half: float = 0.01) -> Interval:
    return Interval(value=value, low=value - half, high=value + half)


def report(auc: float, *, half: float = 0.01, fr: float = 0.88, **extra: Any) -> ReportSnapshot:
    fields: dict[str, Any] = {
        "ref": f"report:eval@{uuid.uuid4().hex[:6]}",
        "name": "holdout",
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        "metrics": {"auc": auc, "loss": 0.3},
        "slices": {
            "overall": {"auc": interval(auc, half)},
            "country=FR": {"auc": interval(fr)},
            "country=DE": {"auc": interval(0.9)},
            "country=FR,age=old": {"auc": interval(0.5)},  # two dimensions: not country=*
        },
    }
    fields.update(extra)
    return ReportSnapshot(**fields)


def producing_run(**provenance: Any) -> RunSnapshot:
    base = {
        "code": CodeVersion(commit="abc123", dirty=False),
        "environment": Environment(packages_digest=D1),
        "seeds": {"random": 42},
    }
    base.update(provenance)
    return RunSnapshot(
        ref=f"run:{uuid.uuid4()}",
        status=RunStatus.COMPLETED,
        provenance=Provenance(**base),
        consumed=[ConsumedArtifact(ref="dataset:clicks@v3", digest=D1)],
    )


def good_facts(**overrides: Any) -> GateFacts:
    fields: dict[str, Any] = {
        "model": ModelFacts(
            ref="model:churn@4", producing_run=producing_run(), reports=[report(0.95)]
        ),
        "verified_level": Level.BITWISE,
        "verified_by": f"check:{uuid.uuid4()}",
        "baseline": ModelFacts(ref="model:churn@3", reports=[report(0.85)]),
    }
    fields.update(overrides)
    return GateFacts(**fields)


def with_model(**changes: Any) -> GateFacts:
    return good_facts(model=good_facts().model.model_copy(update=changes))


def failing(facts: GateFacts, policy: dict[str, Any] | None = None) -> dict[str, list[str]]:
    result = evaluate_gate(parse_policy(policy or POLICY), facts)
    return {
        r.requirement: [c.item for c in r.checks if not c.passed]
        for r in result.requirements
        if not r.passed
    }


def test_a_good_model_ships_with_evidence_for_every_requirement():
    result = evaluate_gate(parse_policy(POLICY), good_facts(), source="policy.yaml")
    assert [r.requirement for r in result.requirements] == [
        "provenance", "no_deprecated_upstream", "reproducibility", "evaluation", "improvement",
    ]  # fmt: skip
    assert result.shipped, render_report(result)
    assert exit_code(result) == EXIT_SHIP
    items = {c.item for r in result.requirements for c in r.checks}
    assert {"commit", "clean tree", "environment", "input digests", "seeds"} <= items
    # the wildcard covers each one-dimension country slice, not the two-dimension one
    assert "slice country=FR auc >= 0.85" in items
    assert "slice country=DE auc >= 0.85" in items
    assert not any("age=old" in item for item in items)
    text = render_report(result)
    assert text.startswith("model:churn@4: SHIP (policy policy.yaml)")


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (with_model(producing_run=None), {"provenance": ["producing run"]}),
        (with_model(producing_run=producing_run(code=CodeVersion(dirty=False))),
         {"provenance": ["commit"]}),
        (with_model(producing_run=producing_run(code=CodeVersion(commit="abc", dirty=True))),
         {"provenance": ["clean tree"]}),
        (with_model(producing_run=producing_run(code=CodeVersion(commit="abc"))),
         {"provenance": ["clean tree"]}),  # unknown is not clean
        (with_model(producing_run=producing_run(environment=Environment(python_version="3.11"))),
         {"provenance": ["environment"]}),
        (with_model(producing_run=producing_run(seeds={})), {"provenance": ["seeds"]}),
        (with_model(producing_run=producing_run().model_copy(
            update={"consumed": [ConsumedArtifact(ref="dataset:clicks@v3")]})),
         {"provenance": ["input digests"]}),
        (with_model(producing_run=producing_run().model_copy(update={"consumed": []})),
         {"provenance": ["input digests"]}),
        (good_facts(deprecated_upstream=[DeprecatedUpstream(
            ref="dataset:raw@v1", reason="PII leak", sunset=date(2025, 6, 1),
            path=["dataset:raw@v1", "feature:f@1", "model:churn@4"])]),
         {"no_deprecated_upstream": ["dataset:raw@v1"]}),
        (good_facts(verified_level=Level.STATISTICAL), {"reproducibility": ["verified level"]}),
        (good_facts(verified_level=None), {"reproducibility": ["verified level"]}),
        (with_model(reports=[report(0.89, half=0.001)]), {"evaluation": ["auc >= 0.9"]}),
        (with_model(reports=[report(0.95, fr=0.84)]),
         {"evaluation": ["slice country=FR auc >= 0.85"]}),
        (with_model(reports=[report(0.95, metrics={"auc": 0.95})]),
         {"evaluation": ["loss <= 0.4"]}),  # a missing metric fails
        (good_facts(baseline=ModelFacts(ref="model:churn@3", reports=[report(0.945)])),
         {"improvement": ["auc (higher is better)"]}),
        (good_facts(baseline=None), {"improvement": ["baseline"]}),
    ],
    ids=[
        "no-run", "no-commit", "dirty", "dirty-unknown", "no-env", "no-seeds", "input-no-digest",
        "no-inputs", "deprecated", "level-too-low", "never-verified", "auc-low", "slice-low",
        "metric-missing", "not-significant", "no-baseline",
    ],
)  # fmt: skip
def test_each_requirement_fails_alone(facts: GateFacts, expected: dict[str, list[str]]):
    assert failing(facts) == expected


def test_no_report_fails_evaluation_and_improvement_only():
    # without a report there is no interval either: both requirements that read it fail
    assert set(failing(with_model(reports=[]))) == {"evaluation", "improvement"}


def test_blocked_report_lists_every_reason_and_exits_one():
    facts = good_facts(verified_level=None, baseline=None)
    result = evaluate_gate(parse_policy(POLICY), facts)
    assert not result.shipped
    assert exit_code(result) == EXIT_BLOCKED
    assert result.blocking == ["reproducibility", "improvement"]
    text = render_report(result)
    assert "blocked by: reproducibility, improvement" in text
    assert "highest verified level none, required algorithmic" in text
    document = json.loads(json.dumps(report_json(result), allow_nan=False))
    assert (document["shipped"], document["exit_code"]) == (False, 1)
    assert [r["passed"] for r in document["requirements"]] == [True, True, False, True, False]


def test_deprecation_evidence_names_reason_sunset_and_path():
    facts = good_facts(deprecated_upstream=[DeprecatedUpstream(
        ref="dataset:raw@v1", reason="PII leak", sunset=date(2025, 6, 1),
        replacement="dataset:raw@v2", path=["dataset:raw@v1", "model:churn@4"])])  # fmt: skip
    [requirement] = [
        r for r in evaluate_gate(parse_policy(POLICY), facts).requirements
        if r.requirement == "no_deprecated_upstream"
    ]  # fmt: skip
    [check] = requirement.checks
    assert check.detail == "deprecated: PII leak; sunset 2025-06-01; replacement dataset:raw@v2"
    assert check.data["path"] == ["dataset:raw@v1", "model:churn@4"]


def test_provenance_sub_checks_can_be_turned_off():
    policy = {"provenance": {"seeds": False, "clean_tree": False}}
    facts = with_model(
        producing_run=producing_run(seeds={}, code=CodeVersion(commit="x", dirty=True))
    )
    assert failing(facts, policy) == {}


def test_thresholds_on_interval_bounds_and_named_reports():
    policy = {"evaluation": {"report": "holdout", "thresholds": [
        {"metric": "auc", "op": ">=", "value": 0.93, "bound": "low"}]}}  # fmt: skip
    assert failing(with_model(reports=[report(0.95, half=0.01)]), policy) == {}
    assert failing(with_model(reports=[report(0.95, half=0.03)]), policy) == {
        "evaluation": ["auc.low >= 0.93"]
    }
    # the named report is used even when another report is newer
    newer = report(0.5, name="smoke", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert failing(with_model(reports=[report(0.95), newer]), policy) == {}
    assert failing(with_model(reports=[newer]), policy) == {"evaluation": ["evaluation report"]}


def test_newest_report_is_used_by_default():
    old = report(0.95, created_at=datetime(2024, 1, 1, tzinfo=UTC))
    new = report(0.80, created_at=datetime(2025, 6, 1, tzinfo=UTC))
    policy = {"evaluation": {"thresholds": ["auc >= 0.9"]}}
    assert failing(with_model(reports=[new, old]), policy) == {"evaluation": ["auc >= 0.9"]}


def test_wildcard_matching_no_slice_fails():
    policy = {"evaluation": {"thresholds": ["slice region=* auc >= 0.5"]}}
    result = evaluate_gate(parse_policy(policy), good_facts())
    [check] = [c for c in result.requirements[0].checks if not c.passed]
    assert check.detail == "no slice of " + facts_report_ref(result) + " matches 'region=*'"


def facts_report_ref(result: Any) -> str:
    return result.requirements[0].checks[0].detail.removeprefix("using ")


def test_slice_missing_the_metric_fails():
    slices = {"country=FR": {"auc": interval(0.9)}, "country=DE": {"f1": interval(0.9)}}
    policy = {"evaluation": {"thresholds": ["slice country=* auc >= 0.5"]}}
    facts = with_model(reports=[report(0.95, slices=slices)])
    assert failing(facts, policy) == {"evaluation": ["slice country=DE auc >= 0.5"]}


def test_nan_metric_never_passes_a_threshold():
    policy = {"evaluation": {"thresholds": ["loss <= 1"]}}
    facts = with_model(reports=[report(0.95, metrics={"loss": float("nan")})])
    assert failing(facts, policy) == {"evaluation": ["loss <= 1"]}


def test_gate_policy_model_is_importable_without_numpy():
    import subprocess
    import sys

    code = (
        "import sys; import lineagegraph.gate.evaluate, lineagegraph.gate.policy_file, "
        "lineagegraph.gate.report; print('numpy' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert isinstance(parse_policy(POLICY), GatePolicy)
