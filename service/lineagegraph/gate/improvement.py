"""Improvement over a baseline model, judged by ``significance.py`` (never point estimates)."""

from __future__ import annotations

import math

from lineagegraph.gate.facts import GateFacts, ModelFacts
from lineagegraph.gate.outcome import Check, RequirementResult
from lineagegraph.gate.policy import ImprovedMetric, ImprovementRequirement
from lineagegraph.gate.significance import from_intervals, from_trials
from lineagegraph.gate.thresholds import pick_report
from lineagegraph.models import Interval


def _interval(
    model: ModelFacts, req: ImprovementRequirement, report_name: str | None, metric: str
) -> Interval | None:
    report = pick_report(model.reports, report_name)
    return None if report is None else report.slices.get(req.slice, {}).get(metric)


def _trials(model: ModelFacts, metric: str) -> list[float]:
    return [v for v in model.trials.get(metric, []) if math.isfinite(v)]


def _one(
    spec: ImprovedMetric,
    req: ImprovementRequirement,
    candidate: ModelFacts,
    baseline: ModelFacts,
    report_name: str | None,
) -> Check:
    item = f"{spec.metric} ({spec.direction} is better)"
    ours, theirs = _trials(candidate, spec.metric), _trials(baseline, spec.metric)
    enough = min(len(ours), len(theirs)) >= req.min_trials
    if req.evidence == "trials" or (req.evidence == "auto" and enough):
        if not enough:
            return Check(
                item=item,
                passed=False,
                detail=f"needs at least {req.min_trials} trial runs per model; candidate "
                f"has {len(ours)}, baseline {len(theirs)}",
            )
        result = from_trials(ours, theirs, spec.direction, spec.min_delta, req.confidence)
    else:
        mine = _interval(candidate, req, report_name, spec.metric)
        other = _interval(baseline, req, report_name, spec.metric)
        if mine is None or other is None:
            lacking = " and ".join(
                name for name, i in (("candidate", mine), ("baseline", other)) if i is None
            )
            return Check(
                item=item,
                passed=False,
                detail=f"no confidence interval for {spec.metric} in slice {req.slice!r} of "
                f"the {lacking} report (and not enough trial runs): a point estimate alone "
                "cannot show a significant improvement",
            )
        result = from_intervals(mine, other, spec.direction, spec.min_delta, req.confidence)
    data = {"method": result.method, "gain": result.gain, **result.data}
    return Check(item=item, passed=result.significant, detail=result.detail, data=data)


def check_improvement(
    req: ImprovementRequirement, facts: GateFacts, report_name: str | None = None
) -> RequirementResult:
    """``report_name``: the evaluation report to read on both sides (the policy's
    ``evaluation.report``); default each model's newest report."""
    spec = req.baseline
    wanted = f"deployed in {spec.deployed}" if spec.deployed else str(spec.model)
    baseline = facts.baseline
    if baseline is None:
        ok = req.when_no_baseline == "pass"
        detail = f"no baseline model {wanted}" + (
            ": nothing to improve on (when_no_baseline: pass)" if ok else ""
        )
        check = Check(item="baseline", passed=ok, detail=detail)
        return RequirementResult(requirement="improvement", checks=[check])
    if baseline.ref == facts.model.ref:
        check = Check(
            item="baseline",
            passed=False,
            detail=f"{facts.model.ref} is itself the baseline ({wanted})",
        )
        return RequirementResult(requirement="improvement", checks=[check])
    checks = [Check(item="baseline", passed=True, detail=f"{baseline.ref} ({wanted})")]
    checks += [_one(m, req, facts.model, baseline, report_name) for m in req.metrics]
    return RequirementResult(requirement="improvement", checks=checks)
