"""The statistical level: equivalence of metric distributions over two groups of trials."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

import numpy as np
import pytest
from scipy import stats

from lineagegraph.errors import BadInput
from lineagegraph.models import RunStatus
from lineagegraph.repro import equivalence
from lineagegraph.repro.inputs import RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.statistical import StatisticalSettings, verify_groups
from lineagegraph.repro.verdict import Outcome

ALPHA = 0.05


def trials(
    values: Sequence[float], key: str = "accuracy", **extra: Sequence[float]
) -> list[RunSnapshot]:
    runs = []
    for i, value in enumerate(values):
        metrics = {key: float(value)} | {k: float(v[i]) for k, v in extra.items()}
        runs.append(RunSnapshot(ref=f"run:{uuid.uuid4()}", status=RunStatus.COMPLETED,
                                final_metrics=metrics))  # fmt: skip
    return runs


def binomial_ceiling(p: float, n: int) -> float:
    """A rate above this is implausible (one-sided 99.9%) when the true rate is at most p."""
    return float(stats.binom.ppf(0.999, n, p)) / n


# --- passing and failing -------------------------------------------------------------------
def test_same_distribution_passes_and_shifted_distribution_fails():
    rng = np.random.default_rng(7)
    a = trials(rng.normal(0.90, 0.004, 5))
    same = trials(rng.normal(0.90, 0.004, 5))
    verdict = verify_groups(a, same, settings=StatisticalSettings(margin=0.02))
    assert verdict.passed
    assert verdict.level_achieved is Level.STATISTICAL
    [evidence] = verdict.evidence
    [test] = evidence.data["tests"]
    assert test["test"] == "tost-welch"
    assert test["interval_level"] == pytest.approx(0.90)
    assert -0.02 < test["low"] < test["high"] < 0.02
    assert test["p_value"] < ALPHA

    shifted = trials(rng.normal(0.95, 0.004, 5))
    verdict = verify_groups(a, shifted, settings=StatisticalSettings(margin=0.02))
    assert not verdict.passed
    assert verdict.level_achieved is None
    [test] = verdict.evidence[0].data["tests"]
    assert test["low"] > 0.02  # the whole interval lies beyond the margin
    assert "not inside" in verdict.evidence[0].detail


@pytest.mark.parametrize("method", ["bootstrap", "both"])
def test_bootstrap_passes_equal_and_fails_shifted(method: str):
    rng = np.random.default_rng(11)
    a = trials(rng.normal(0.90, 0.004, 8))
    same = trials(rng.normal(0.90, 0.004, 8))
    shifted = trials(rng.normal(0.93, 0.004, 8))
    settings = StatisticalSettings(margin=0.02, method=method)
    assert verify_groups(a, same, settings=settings).passed
    verdict = verify_groups(a, shifted, settings=settings)
    assert not verdict.passed
    names = [t["test"] for t in verdict.evidence[0].data["tests"]]
    assert names == (["bootstrap-t"] if method == "bootstrap" else ["tost-welch", "bootstrap-t"])
    assert verdict.parameters["seed"] == 0  # the bootstrap is seeded: same trials, same verdict
    again = verify_groups(a, shifted, settings=settings)
    assert again.evidence[0].data == verdict.evidence[0].data


def test_every_metric_must_be_equivalent():
    rng = np.random.default_rng(3)
    a = trials(rng.normal(0.9, 0.004, 6), loss=rng.normal(0.30, 0.004, 6))
    b = trials(rng.normal(0.9, 0.004, 6), loss=rng.normal(0.40, 0.004, 6))
    verdict = verify_groups(a, b, settings=StatisticalSettings(margin=0.02))
    assert {e.item: e.outcome for e in verdict.evidence} == {
        "metric accuracy": Outcome.PASS,
        "metric loss": Outcome.FAIL,
    }
    assert not verdict.passed
    # per-metric margins: a generous one for the loss lets it pass
    wide = StatisticalSettings(margin=0.02, margins={"loss": 0.5})
    assert verify_groups(a, b, settings=wide).passed
    assert verify_groups(a, b, settings=StatisticalSettings(margin=0.02),
                         metric_keys=["accuracy"]).passed  # fmt: skip


def test_default_margin_is_relative_to_group_a():
    a = trials([0.90, 0.91, 0.89, 0.90])
    b = trials([0.905, 0.915, 0.895, 0.905])
    verdict = verify_groups(a, b)
    [test] = verdict.evidence[0].data["tests"]
    assert test["margin"] == pytest.approx(0.02 * 0.90)
    assert verdict.parameters["relative_margin"] == 0.02
    with pytest.raises(BadInput, match="averages 0 in group A") as excinfo:
        verify_groups(trials([0.0, 0.0, 0.0]), trials([0.0, 0.1, 0.0]))
    assert excinfo.value.field == "margin"


def test_deterministic_trials_without_spread():
    same = verify_groups(
        trials([0.9] * 3), trials([0.9] * 3), settings=StatisticalSettings(margin=0.01)
    )
    assert same.passed
    [test] = same.evidence[0].data["tests"]
    assert (test["low"], test["high"], test["p_value"]) == (0.0, 0.0, 0.0)
    apart = verify_groups(
        trials([0.9] * 3), trials([0.95] * 3), settings=StatisticalSettings(margin=0.01)
    )
    assert not apart.passed
    assert apart.evidence[0].data["tests"][0]["p_upper"] == 1.0


def test_tost_p_values_match_two_one_sided_welch_tests():
    rng = np.random.default_rng(5)
    a, b, margin = rng.normal(0, 1, 7), rng.normal(0.3, 1.5, 9), 1.0
    result = equivalence.tost(list(a), list(b), margin)
    lower = stats.ttest_ind(b + margin, a, equal_var=False, alternative="greater")
    upper = stats.ttest_ind(b - margin, a, equal_var=False, alternative="less")
    assert result.p_lower == pytest.approx(lower.pvalue, rel=1e-9)
    assert result.p_upper == pytest.approx(upper.pvalue, rel=1e-9)
    assert result.equivalent == (max(lower.pvalue, upper.pvalue) < ALPHA)
    # the reported interval is the (1 - 2 alpha) Welch interval of the difference
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.90)
    assert (result.low, result.high) == pytest.approx((ci.low, ci.high), rel=1e-9)


# --- error rates by simulation -------------------------------------------------------------
# TOST's alpha bounds the rate of declaring equivalence when the true difference is AT the
# margin (the least favourable case of its null hypothesis); that is the error a reproducibility
# check must not make (calling a changed result "reproduced"), so false passes are simulated at
# the boundary. The margins are wide against the spread so that the test has power and its rate
# at the boundary comes close to alpha (with a narrow margin it would pass almost never, and the
# check could not tell a correct test from a lax one). The rate of failing truly equal groups is
# the test's power, set by the trials and the margin, and is checked against its design value.
SIMULATED_PAIRS = 500


def false_pass_rate(
    n: int, margin: float, sign: float, seed: int, confidence: float = 0.95
) -> float:
    rng = np.random.default_rng(seed)
    passes = 0
    for _ in range(SIMULATED_PAIRS):
        a, b = rng.normal(0.0, 1.0, n), rng.normal(sign * margin, 1.0, n)
        passes += equivalence.tost(list(a), list(b), margin, confidence).equivalent
    return passes / SIMULATED_PAIRS


@pytest.mark.parametrize(("n", "margin", "sign"), [(5, 3.0, 1.0), (10, 2.0, -1.0), (20, 1.5, 1.0)])
def test_tost_false_pass_rate_at_the_margin_is_at_most_alpha(n: int, margin: float, sign: float):
    rate = false_pass_rate(n, margin, sign, seed=20240601 + n)
    assert rate <= binomial_ceiling(ALPHA, SIMULATED_PAIRS), rate
    assert rate > ALPHA / 4  # the test is not so conservative that it never passes here


def test_the_simulation_would_catch_a_test_twice_as_lax():
    lax = false_pass_rate(20, 1.5, 1.0, seed=20240621, confidence=1 - 2 * ALPHA)
    assert lax > binomial_ceiling(ALPHA, SIMULATED_PAIRS), lax


def test_bootstrap_false_pass_rate_at_the_margin_is_at_most_alpha():
    rng = np.random.default_rng(99)
    n, margin = 8, 2.5
    passes = 0
    for i in range(SIMULATED_PAIRS):
        a, b = rng.normal(0.0, 1.0, n), rng.normal(margin, 1.0, n)
        passes += equivalence.bootstrap(list(a), list(b), margin, resamples=1000, seed=i).equivalent
    rate = passes / SIMULATED_PAIRS
    assert ALPHA / 4 < rate <= binomial_ceiling(ALPHA, SIMULATED_PAIRS), rate


def test_whole_check_false_pass_rate_with_one_metric_at_the_margin():
    # accuracy sits at its margin, loss is truly equal: the least favourable case for requiring
    # every metric to pass (an intersection-union test), which still keeps false passes <= alpha
    rng = np.random.default_rng(4242)
    n = 5
    settings = StatisticalSettings(margins={"accuracy": 3.0, "loss": 3.0})
    passes = 0
    for _ in range(SIMULATED_PAIRS):
        a = trials(rng.normal(0, 1, n), loss=rng.normal(0, 1, n))
        b = trials(rng.normal(3.0, 1, n), loss=rng.normal(0, 1, n))
        passes += verify_groups(a, b, settings=settings).passed
    assert passes / SIMULATED_PAIRS <= binomial_ceiling(ALPHA, SIMULATED_PAIRS)


def test_equal_groups_fail_at_the_rate_the_design_predicts():
    # n = 10 per group, sd 1, margin 1.5 sd: the normal approximation of TOST's power,
    # 2 * Phi(margin / se - z) - 1, predicts about 9% of equal groups failing; the t-based test
    # fails a little more. A rate far above would mean the test rejects good reproductions.
    rng = np.random.default_rng(8)
    n, margin = 10, 1.5
    se = math.sqrt(2 / n)
    predicted_fail = 1 - (2 * stats.norm.cdf(margin / se - stats.norm.ppf(1 - ALPHA)) - 1)
    fails = sum(
        not equivalence.tost(
            list(rng.normal(0, 1, n)), list(rng.normal(0, 1, n)), margin
        ).equivalent
        for _ in range(SIMULATED_PAIRS)
    )
    rate = fails / SIMULATED_PAIRS
    assert predicted_fail < 0.1
    assert rate <= binomial_ceiling(2 * predicted_fail, SIMULATED_PAIRS), (rate, predicted_fail)


# --- bad input -----------------------------------------------------------------------------
def test_groups_of_one_run_are_an_error():
    with pytest.raises(BadInput, match="at least 3 trial runs per group; group A has 1") as excinfo:
        verify_groups(trials([0.9]), trials([0.9, 0.91, 0.92]))
    assert excinfo.value.field == "group_a"
    with pytest.raises(BadInput, match="group B has 2"):
        verify_groups(trials([0.9, 0.91, 0.92]), trials([0.9, 0.91]))
    with pytest.raises(BadInput, match="at least 5 trial runs"):
        verify_groups(trials([0.9] * 4), trials([0.9] * 4),
                      settings=StatisticalSettings(method="bootstrap"))  # fmt: skip
    with pytest.raises(BadInput, match="group A has 0 \\(no runs\\)"):
        verify_groups([], trials([0.9] * 3))


def test_overlapping_identical_or_repeated_groups_are_an_error():
    a = trials([0.9, 0.91, 0.92])
    with pytest.raises(BadInput, match="disjoint"):
        verify_groups(a, a)
    with pytest.raises(BadInput, match="disjoint"):
        verify_groups(a, [a[0], *trials([0.9, 0.9])])
    with pytest.raises(BadInput, match="more than once"):
        verify_groups([a[0], a[0], a[1]], trials([0.9] * 3))


def test_unfinished_trial_is_an_error():
    running = RunSnapshot(ref=f"run:{uuid.uuid4()}", status=RunStatus.RUNNING,
                          final_metrics={"accuracy": 0.9})  # fmt: skip
    with pytest.raises(BadInput, match="is RUNNING"):
        verify_groups(trials([0.9] * 3), [*trials([0.9] * 2), running])


def test_missing_or_non_finite_metric_fails_that_metric():
    a = trials([0.9, 0.91, 0.92], loss=[0.3, 0.3, 0.3])
    b = trials([0.9, 0.91, 0.92])
    verdict = verify_groups(a, b, settings=StatisticalSettings(margin=0.1))
    failures = {e.item: e.detail for e in verdict.failures}
    assert list(failures) == ["metric loss"]
    assert failures["metric loss"].startswith("not logged by ")
    c = trials([0.9, math.nan, 0.92])
    [failed] = verify_groups(b, c, settings=StatisticalSettings(margin=0.1)).failures
    assert failed.detail == "a trial logged a non-finite value"


def test_no_metrics_at_all_is_an_error():
    bare = [RunSnapshot(ref=f"run:{uuid.uuid4()}", status=RunStatus.COMPLETED) for _ in range(6)]
    with pytest.raises(BadInput, match="no final metrics"):
        verify_groups(bare[:3], bare[3:])
