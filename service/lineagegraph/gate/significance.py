"""Is a candidate's metric significantly better than the baseline's? Never from point
estimates alone.

From confidence intervals (the exact rule): with "higher is better", the improvement is
significant when the candidate's interval lies entirely above the baseline's
(``candidate.low > baseline.high``), both intervals are at least at the required confidence,
and the point estimates differ by at least ``min_delta``. With "lower is better", mirrored:
``candidate.high < baseline.low``. Overlapping intervals fail even when the candidate's point
estimate is higher. Non-overlap of two 95% intervals is a conservative test (for equal widths
it corresponds to a two-sided p below about 0.006), which is the side a release gate should err.

From trial runs: a one-sided Welch t-test of H0: gain <= min_delta, where gain is the
difference of mean metric over the trials in the better direction; significant when
p < 1 - confidence. The one-sided lower confidence bound of the gain is reported with it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lineagegraph.models import Interval

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Significance:
    method: Literal["intervals", "trials"]
    significant: bool
    gain: float  # candidate minus baseline, in the better direction (positive = better)
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


def from_intervals(
    candidate: Interval,
    baseline: Interval,
    direction: Direction,
    min_delta: float,
    confidence: float,
) -> Significance:
    sign = 1.0 if direction == "higher" else -1.0
    gain = sign * (candidate.value - baseline.value)
    data: dict[str, Any] = {
        "candidate": candidate.model_dump(),
        "baseline": baseline.model_dump(),
        "direction": direction,
        "min_delta": min_delta,
        "required_confidence": confidence,
    }

    def result(ok: bool, detail: str) -> Significance:
        return Significance("intervals", ok, gain, detail, data)

    bounds = (candidate.value, candidate.low, candidate.high, baseline.low, baseline.high)
    if not all(math.isfinite(b) for b in bounds):
        return result(False, "an interval bound is not a finite number")
    narrow = [
        name
        for name, interval in (("candidate", candidate), ("baseline", baseline))
        if interval.confidence < confidence
    ]
    if narrow:
        return result(
            False,
            f"{' and '.join(narrow)} interval at less than the required {confidence:.0%} "
            "confidence",
        )
    if direction == "higher":
        separated, gap = candidate.low > baseline.high, candidate.low - baseline.high
    else:
        separated, gap = candidate.high < baseline.low, baseline.low - candidate.high
    data["gap"] = gap
    if not separated:
        return result(
            False,
            f"not significant: intervals overlap (point estimate gain {gain:+.4g})",
        )
    if gain < min_delta:
        return result(False, f"gain {gain:+.4g} is below the required {min_delta:g}")
    return result(True, f"significant: intervals separated by {gap:.4g}, gain {gain:+.4g}")


def from_trials(
    candidate: Sequence[float],
    baseline: Sequence[float],
    direction: Direction,
    min_delta: float,
    confidence: float,
) -> Significance:
    """Needs at least two trials per side (the caller enforces the policy's minimum)."""
    from lineagegraph.repro import tdist  # SciPy only when trial runs are used

    sign = 1.0 if direction == "higher" else -1.0
    mean_c, mean_b = statistics.fmean(candidate), statistics.fmean(baseline)
    gain = sign * (mean_c - mean_b)
    var_c = statistics.variance(candidate) / len(candidate)
    var_b = statistics.variance(baseline) / len(baseline)
    se = math.sqrt(var_c + var_b)
    data: dict[str, Any] = {
        "n_candidate": len(candidate),
        "n_baseline": len(baseline),
        "mean_candidate": mean_c,
        "mean_baseline": mean_b,
        "direction": direction,
        "min_delta": min_delta,
        "confidence": confidence,
        "test": "welch-one-sided",
    }
    if se == 0:
        ok = gain > min_delta
        data.update(p_value=0.0 if ok else 1.0, lower_bound=gain)
    else:
        df = (var_c + var_b) ** 2 / (
            var_c**2 / (len(candidate) - 1) + var_b**2 / (len(baseline) - 1)
        )
        p_value = tdist.sf((gain - min_delta) / se, df)
        lower = gain - tdist.ppf(confidence, df) * se
        ok = p_value < 1 - confidence
        data.update(p_value=p_value, lower_bound=lower, df=df, se=se)
    verdict = "significant" if ok else "not significant"
    detail = (
        f"{verdict}: mean gain {gain:+.4g} over {len(candidate)} vs {len(baseline)} trials, "
        f"p = {data['p_value']:.3g}, {confidence:.0%} lower bound {data['lower_bound']:+.4g}"
    )
    return Significance("trials", ok, gain, detail, data)
