"""Every requirement of a policy against the facts about one model."""

from __future__ import annotations

from lineagegraph.gate.facts import GateFacts
from lineagegraph.gate.improvement import check_improvement
from lineagegraph.gate.outcome import GateReport, RequirementResult
from lineagegraph.gate.policy import GatePolicy
from lineagegraph.gate.requirements import (
    check_deprecation,
    check_provenance,
    check_reproducibility,
)
from lineagegraph.gate.thresholds import check_thresholds


def evaluate_gate(policy: GatePolicy, facts: GateFacts, source: str | None = None) -> GateReport:
    """Evaluate each requirement the policy sets, in a fixed order; none short-circuits, so
    the report lists every reason a model is blocked at once."""
    results: list[RequirementResult] = []
    if policy.provenance is not None:
        results.append(check_provenance(policy.provenance, facts))
    if policy.no_deprecated_upstream:
        results.append(check_deprecation(facts))
    if policy.reproducibility is not None:
        results.append(check_reproducibility(policy.reproducibility, facts))
    if policy.evaluation is not None:
        results.append(check_thresholds(policy.evaluation, facts))
    if policy.improvement is not None:
        report_name = policy.evaluation.report if policy.evaluation else None
        results.append(check_improvement(policy.improvement, facts, report_name))
    return GateReport(model=facts.model.ref, policy=source, requirements=results)
