"""Evaluation thresholds, overall and per slice. A missing metric or slice fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from lineagegraph.gate.facts import GateFacts, ReportSnapshot
from lineagegraph.gate.outcome import Check, RequirementResult
from lineagegraph.gate.policy import OVERALL_SLICE, EvaluationRequirement, Threshold
from lineagegraph.gate.slices import matching_slices
from lineagegraph.models import Interval

_OLDEST = datetime.min.replace(tzinfo=UTC)


def _when(report: ReportSnapshot) -> datetime:
    if report.created_at is None:
        return _OLDEST
    stamp = report.created_at
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def pick_report(reports: Sequence[ReportSnapshot], name: str | None) -> ReportSnapshot | None:
    """The newest report (of that name, when given); reports without a time count as oldest."""
    candidates = [r for r in reports if name is None or r.name == name]
    if not candidates:
        return None
    # max keeps the first of equal times; the later-listed report should win a tie
    return max(reversed(candidates), key=_when)


def _from_interval(interval: Interval, bound: str) -> float:
    return {"value": interval.value, "low": interval.low, "high": interval.high}[bound]


def _overall(threshold: Threshold, report: ReportSnapshot) -> Check:
    item = str(threshold)
    interval = report.slices.get(OVERALL_SLICE, {}).get(threshold.metric)
    if threshold.bound == "value" and threshold.metric in report.metrics:
        observed = report.metrics[threshold.metric]
    elif interval is not None:
        observed = _from_interval(interval, threshold.bound)
    elif threshold.bound != "value" and threshold.metric in report.metrics:
        return Check(
            item=item,
            passed=False,
            detail=f"{threshold.metric} has no confidence interval (its {threshold.bound} "
            f"bound is asked); add it to the report's {OVERALL_SLICE!r} slice",
        )
    else:
        return Check(item=item, passed=False, detail=f"metric {threshold.metric} missing")
    return _compare(item, threshold, observed)


def _compare(item: str, threshold: Threshold, observed: float) -> Check:
    ok = threshold.holds(observed)
    return Check(
        item=item,
        passed=ok,
        detail=f"{observed:.6g} {threshold.op if ok else 'fails ' + threshold.op} "
        f"{threshold.value:g}",
        data={"observed": observed, "threshold": threshold.value},
    )


def _sliced(threshold: Threshold, report: ReportSnapshot) -> list[Check]:
    pattern = threshold.slice or ""
    keys = matching_slices(pattern, report.slices)
    if not keys:
        detail = f"no slice of {report.ref} matches {pattern!r}"
        return [Check(item=str(threshold), passed=False, detail=detail)]
    checks = []
    for key in keys:
        item = str(threshold.model_copy(update={"slice": key}))
        interval = report.slices[key].get(threshold.metric)
        if interval is None:
            checks.append(
                Check(item=item, passed=False, detail=f"metric {threshold.metric} missing")
            )
        else:
            checks.append(_compare(item, threshold, _from_interval(interval, threshold.bound)))
    return checks


def check_thresholds(req: EvaluationRequirement, facts: GateFacts) -> RequirementResult:
    report = pick_report(facts.model.reports, req.report)
    if report is None:
        which = f"named {req.report!r} " if req.report else ""
        missing = Check(
            item="evaluation report",
            passed=False,
            detail=f"no evaluation report {which}evaluates {facts.model.ref}",
        )
        return RequirementResult(requirement="evaluation", checks=[missing])
    checks = [Check(item="evaluation report", passed=True, detail=f"using {report.ref}")]
    for threshold in req.thresholds:
        if threshold.slice is None:
            checks.append(_overall(threshold, report))
        else:
            checks.extend(_sliced(threshold, report))
    return RequirementResult(requirement="evaluation", checks=checks)
