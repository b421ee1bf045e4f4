"""The statistical level: two groups of trial runs, each final metric equivalent within a margin.

Every metric must pass its own equivalence test at level alpha. Requiring all of them is an
intersection-union test, so the chance of wrongly declaring the groups equivalent stays at most
alpha without any multiplicity correction (the price is power, not false passes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lineagegraph.errors import BadInput
from lineagegraph.repro import equivalence
from lineagegraph.repro.inputs import RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.verdict import Evidence, Outcome, Verdict, level_holds
from lineagegraph.repro.verify import require_finished

Method = Literal["tost", "bootstrap", "both"]
DEFAULT_RELATIVE_MARGIN = 0.02


class StatisticalSettings(BaseModel):
    """How equivalence is judged. The margin is the largest difference of means that still
    counts as "the same": ``margins[metric]`` if given, else ``margin``, else
    ``relative_margin`` times |mean of group A| (A is the reference group)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = "tost"
    confidence: float = Field(0.95, gt=0.5, lt=1)
    margin: float | None = Field(None, gt=0, allow_inf_nan=False)
    relative_margin: float = Field(DEFAULT_RELATIVE_MARGIN, gt=0, allow_inf_nan=False)
    margins: dict[str, float] = Field(default_factory=dict)
    resamples: int = Field(4000, ge=500, le=200_000)
    seed: int = 0
    min_trials: int | None = Field(None, ge=2)

    @property
    def required_trials(self) -> int:
        floor = (
            equivalence.MIN_TRIALS_TOST
            if self.method == "tost"
            else equivalence.MIN_TRIALS_BOOTSTRAP
        )
        return max(floor, self.min_trials or 0)


def _check_groups(a: Sequence[RunSnapshot], b: Sequence[RunSnapshot], need: int) -> None:
    for label, group in (("a", a), ("b", b)):
        refs = [run.ref for run in group]
        if len(group) < need:
            listed = ", ".join(refs) or "no runs"
            raise BadInput(
                f"the statistical level needs at least {need} trial runs per group; "
                f"group {label.upper()} has {len(group)} ({listed})",
                field=f"group_{label}",
            )
        duplicates = sorted({r for r in refs if refs.count(r) > 1})
        if duplicates:
            raise BadInput(
                f"group {label.upper()} lists {', '.join(duplicates)} more than once",
                field=f"group_{label}",
            )
        for run in group:
            require_finished(run, f"group_{label}")
    shared = sorted({r.ref for r in a} & {r.ref for r in b})
    if shared:
        raise BadInput(
            f"the groups must be disjoint; both contain {', '.join(shared)}", field="group_b"
        )


def _margin(settings: StatisticalSettings, key: str, mean_a: float) -> float:
    if key in settings.margins:
        value = settings.margins[key]
        if not (math.isfinite(value) and value > 0):
            raise BadInput(f"margin for {key} must be a positive number", field=f"margins.{key}")
        return value
    if settings.margin is not None:
        return settings.margin
    if mean_a == 0:
        raise BadInput(
            f"metric {key} averages 0 in group A, so a relative margin is 0: give an absolute "
            "margin for it",
            field="margin",
        )
    return settings.relative_margin * abs(mean_a)


def _metric(
    key: str, a: Sequence[RunSnapshot], b: Sequence[RunSnapshot], settings: StatisticalSettings
) -> Evidence:
    item = f"metric {key}"
    missing = [r.ref for r in (*a, *b) if key not in r.final_metrics]
    if missing:
        return Evidence(
            level=Level.STATISTICAL,
            item=item,
            outcome=Outcome.FAIL,
            detail=f"not logged by {', '.join(missing)}",
        )
    xs = [r.final_metrics[key] for r in a]
    ys = [r.final_metrics[key] for r in b]
    if not all(math.isfinite(v) for v in (*xs, *ys)):
        return Evidence(
            level=Level.STATISTICAL,
            item=item,
            outcome=Outcome.FAIL,
            detail="a trial logged a non-finite value",
            data={"a": xs, "b": ys},
        )
    margin = _margin(settings, key, sum(xs) / len(xs))
    results: list[equivalence.EquivalenceResult] = []
    if settings.method in ("tost", "both"):
        results.append(equivalence.tost(xs, ys, margin, settings.confidence))
    if settings.method in ("bootstrap", "both"):
        results.append(
            equivalence.bootstrap(
                xs, ys, margin, settings.confidence, settings.resamples, settings.seed
            )
        )
    ok = all(r.equivalent for r in results)
    detail = "; ".join(
        f"{r.test}: difference {r.difference:.4g}, {r.interval_level:.0%} interval "
        f"[{r.low:.4g}, {r.high:.4g}] {'inside' if r.equivalent else 'not inside'} "
        f"±{margin:.4g}, p = {r.p_value:.3g}"
        for r in results
    )
    return Evidence(
        level=Level.STATISTICAL,
        item=item,
        outcome=Outcome.PASS if ok else Outcome.FAIL,
        detail=detail,
        data={"a": xs, "b": ys, "tests": [r.as_dict() for r in results]},
    )


def verify_groups(
    group_a: Sequence[RunSnapshot],
    group_b: Sequence[RunSnapshot],
    *,
    settings: StatisticalSettings | None = None,
    metric_keys: Sequence[str] | None = None,
) -> Verdict:
    """Are the final metrics of the trials in ``group_b`` distributed as in ``group_a``?"""
    cfg = settings or StatisticalSettings()
    _check_groups(group_a, group_b, cfg.required_trials)
    keys = (
        list(metric_keys)
        if metric_keys
        else sorted({k for run in (*group_a, *group_b) for k in run.final_metrics})
    )
    if not keys:
        raise BadInput("the trial runs logged no final metrics to compare", field="metric_keys")
    evidence = [_metric(key, group_a, group_b, cfg) for key in keys]
    passed = level_holds(evidence, Level.STATISTICAL)
    alpha = 1 - cfg.confidence
    return Verdict(
        level_requested=Level.STATISTICAL,
        level_achieved=Level.STATISTICAL if passed else None,
        runs_a=[r.ref for r in group_a],
        runs_b=[r.ref for r in group_b],
        parameters={
            "method": cfg.method,
            "confidence": cfg.confidence,
            "alpha": alpha,
            "interval_level": 1 - 2 * alpha,
            "margin": cfg.margin,
            "relative_margin": None if cfg.margin is not None else cfg.relative_margin,
            "margins": dict(cfg.margins),
            "resamples": cfg.resamples if cfg.method != "tost" else None,
            "seed": cfg.seed if cfg.method != "tost" else None,
            "min_trials": cfg.required_trials,
            "metric_keys": keys,
        },
        evidence=evidence,
    )
