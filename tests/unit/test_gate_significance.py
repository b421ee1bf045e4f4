"""Improvement over a baseline must be statistically significant, not just a higher number."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from lineagegraph.gate.evaluate import evaluate_gate
from lineagegraph.gate.facts import GateFacts, ModelFacts, ReportSnapshot
from lineagegraph.gate.policy_file import parse_policy
from lineagegraph.gate.significance import from_intervals, from_trials
from lineagegraph.models import Interval

ALPHA = 0.05


def iv(value: float, low: float, high: float, confidence: float = 0.95) -> Interval:
    return Interval(value=value, low=low, high=high, confidence=confidence)


# --- from intervals --------------------------------------------------------------------------
def test_separated_intervals_are_a_significant_improvement():
    result = from_intervals(iv(0.93, 0.92, 0.94), iv(0.90, 0.89, 0.91), "higher", 0.0, 0.95)
    assert result.significant
    assert result.gain == pytest.approx(0.03)
    assert result.data["gap"] == pytest.approx(0.01)


def test_higher_point_estimate_with_overlapping_intervals_is_not_significant():
    result = from_intervals(iv(0.93, 0.90, 0.96), iv(0.91, 0.88, 0.94), "higher", 0.0, 0.95)
    assert not result.significant
    assert result.gain > 0
    assert result.detail.startswith("not significant: intervals overlap")
    # touching is overlapping: the rule is strict
    touching = from_intervals(iv(0.93, 0.92, 0.94), iv(0.91, 0.90, 0.92), "higher", 0.0, 0.95)
    assert not touching.significant


def test_lower_is_better_mirrors_the_rule():
    better = from_intervals(iv(0.20, 0.18, 0.22), iv(0.30, 0.28, 0.32), "lower", 0.0, 0.95)
    assert better.significant
    assert better.gain == pytest.approx(0.10)
    worse = from_intervals(iv(0.30, 0.28, 0.32), iv(0.20, 0.18, 0.22), "lower", 0.0, 0.95)
    assert not worse.significant


def test_min_delta_and_interval_confidence():
    small = from_intervals(iv(0.93, 0.925, 0.935), iv(0.92, 0.915, 0.92), "higher", 0.02, 0.95)
    assert not small.significant
    assert "below the required 0.02" in small.detail
    narrow = from_intervals(iv(0.93, 0.92, 0.94, 0.8), iv(0.90, 0.89, 0.91), "higher", 0.0, 0.95)
    assert not narrow.significant
    assert "candidate interval at less than the required 95%" in narrow.detail
    wider = from_intervals(iv(0.93, 0.92, 0.94, 0.99), iv(0.90, 0.89, 0.91), "higher", 0.0, 0.95)
    assert wider.significant
    nan = from_intervals(iv(0.93, math.nan, 0.94), iv(0.90, 0.89, 0.91), "higher", 0.0, 0.95)
    assert not nan.significant


def test_interval_rule_false_positive_rate_is_below_alpha():
    # two equally good models, each reported with an honest 95% normal interval of its metric
    rng = np.random.default_rng(12)
    z = stats.norm.ppf(0.975)
    wins = 0
    for _ in range(2000):
        a, b = rng.normal(0.9, 0.01, 2)
        wins += from_intervals(
            iv(a, a - z * 0.01, a + z * 0.01), iv(b, b - z * 0.01, b + z * 0.01), "higher", 0, 0.95
        ).significant
    # separated 95% intervals of equal width: P(z > 2.77) ~ 0.3% one-sided, far under alpha
    assert wins / 2000 < 0.01


# --- from trial runs -------------------------------------------------------------------------
def test_trials_show_a_significant_improvement_and_reject_a_noisy_one():
    candidate = [0.931, 0.934, 0.929, 0.933, 0.932]
    baseline = [0.910, 0.913, 0.909, 0.912, 0.911]
    result = from_trials(candidate, baseline, "higher", 0.0, 0.95)
    assert result.significant
    assert result.data["p_value"] < ALPHA
    assert result.data["lower_bound"] > 0
    p = stats.ttest_ind(candidate, baseline, equal_var=False, alternative="greater").pvalue
    assert result.data["p_value"] == pytest.approx(p, rel=1e-9)
    noisy = from_trials(
        [0.95, 0.90, 0.93, 0.88, 0.96], [0.91, 0.92, 0.90, 0.93, 0.91], "higher", 0.0, 0.95
    )
    assert noisy.gain > 0
    assert not noisy.significant
    assert noisy.data["lower_bound"] < 0


def test_trials_against_a_min_delta():
    candidate = [0.931, 0.934, 0.929, 0.933, 0.932]
    baseline = [0.910, 0.913, 0.909, 0.912, 0.911]
    assert from_trials(candidate, baseline, "higher", 0.01, 0.95).significant
    assert not from_trials(candidate, baseline, "higher", 0.03, 0.95).significant
    assert from_trials([1.0] * 3, [0.9] * 3, "higher", 0.0, 0.95).significant  # no spread
    assert not from_trials([0.9] * 3, [0.9] * 3, "higher", 0.0, 0.95).significant


@pytest.mark.parametrize("n", [3, 5, 10])
def test_trials_false_positive_rate_is_at_most_alpha(n: int):
    # equally good models: wrongly calling the candidate better is the error alpha controls
    rng = np.random.default_rng(500 + n)
    pairs = 500
    wins = sum(
        from_trials(
            list(rng.normal(0, 1, n)), list(rng.normal(0, 1, n)), "higher", 0.0, 0.95
        ).significant
        for _ in range(pairs)
    )
    assert wins / pairs <= stats.binom.ppf(0.999, pairs, ALPHA) / pairs
    assert wins / pairs > ALPHA / 3  # and it is not so conservative as to never fire


# --- through the gate ------------------------------------------------------------------------
def facts(candidate: dict[str, Any], baseline: dict[str, Any]) -> GateFacts:
    def model(ref: str, spec: dict[str, Any]) -> ModelFacts:
        reports = []
        if "auc" in spec:
            auc = spec["auc"]
            reports.append(ReportSnapshot(ref=f"report:{ref}@1", name="holdout",
                                          metrics={"auc": auc[0]},
                                          slices={"overall": {"auc": iv(*auc)}}))  # fmt: skip
        return ModelFacts(ref=ref, reports=reports, trials={"auc": spec.get("trials", [])})

    return GateFacts(model=model("model:m@2", candidate), baseline=model("model:m@1", baseline))


def gate(policy_extra: dict[str, Any], candidate: dict[str, Any], baseline: dict[str, Any]):
    policy = {
        "improvement": {"baseline": {"model": "model:m@1"}, "metrics": ["auc"]} | policy_extra
    }
    [requirement] = evaluate_gate(parse_policy(policy), facts(candidate, baseline)).requirements
    return requirement


def test_gate_passes_a_significant_improvement_and_fails_a_non_significant_one():
    significant = gate({}, {"auc": (0.93, 0.92, 0.94)}, {"auc": (0.90, 0.89, 0.91)})
    assert significant.passed
    overlapping = gate({}, {"auc": (0.93, 0.90, 0.96)}, {"auc": (0.91, 0.88, 0.94)})
    assert not overlapping.passed
    check = overlapping.checks[-1]
    assert check.data["method"] == "intervals"
    assert check.detail.startswith("not significant")


def test_auto_prefers_trials_and_falls_back_to_intervals():
    trials_good = {"trials": [0.931, 0.934, 0.929, 0.933, 0.932], "auc": (0.93, 0.90, 0.96)}
    trials_base = {"trials": [0.910, 0.913, 0.909, 0.912, 0.911], "auc": (0.91, 0.88, 0.94)}
    by_trials = gate({}, trials_good, trials_base)
    assert by_trials.passed  # the intervals overlap, but five trials each show the gain
    assert by_trials.checks[-1].data["method"] == "trials"
    only_intervals = gate({"evidence": "intervals"}, trials_good, trials_base)
    assert not only_intervals.passed
    few = gate({}, {"trials": [0.93, 0.94], "auc": (0.93, 0.92, 0.94)},
               {"trials": [0.90, 0.91], "auc": (0.90, 0.89, 0.91)})  # fmt: skip
    assert few.passed
    assert few.checks[-1].data["method"] == "intervals"
    forced = gate({"evidence": "trials"}, {"trials": [0.93, 0.94], "auc": (0.93, 0.92, 0.94)},
                  {"trials": [0.90, 0.91], "auc": (0.90, 0.89, 0.91)})  # fmt: skip
    assert not forced.passed
    assert "needs at least 3 trial runs per model" in forced.checks[-1].detail


def test_point_estimates_alone_never_pass():
    candidate = ModelFacts(ref="model:m@2", reports=[ReportSnapshot(
        ref="report:r@2", name="holdout", metrics={"auc": 0.99})])  # fmt: skip
    baseline = ModelFacts(ref="model:m@1", reports=[ReportSnapshot(
        ref="report:r@1", name="holdout", metrics={"auc": 0.5})])  # fmt: skip
    policy = parse_policy({"improvement": {"baseline": {"deployed": "prod"}, "metrics": ["auc"]}})
    [requirement] = evaluate_gate(
        policy, GateFacts(model=candidate, baseline=baseline)
    ).requirements
    assert not requirement.passed
    assert "a point estimate alone cannot show a significant improvement" in (
        requirement.checks[-1].detail
    )


def test_missing_baseline_and_self_baseline():
    policy = {"improvement": {"baseline": {"deployed": "prod"}, "metrics": ["auc"]}}
    alone = GateFacts(model=ModelFacts(ref="model:m@2"))
    [blocked] = evaluate_gate(parse_policy(policy), alone).requirements
    assert not blocked.passed
    assert blocked.checks[0].detail == "no baseline model deployed in prod"
    policy["improvement"]["when_no_baseline"] = "pass"
    [first_release] = evaluate_gate(parse_policy(policy), alone).requirements
    assert first_release.passed
    itself = GateFacts(model=ModelFacts(ref="model:m@2"), baseline=ModelFacts(ref="model:m@2"))
    [same] = evaluate_gate(parse_policy(policy), itself).requirements
    assert not same.passed
    assert "is itself the baseline" in same.checks[0].detail
