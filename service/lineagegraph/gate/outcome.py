"""What the gate reports: each requirement passed or failed, with the evidence."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXIT_SHIP = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2  # unknown model, invalid policy: the CLI's exit for a BadInput/NotFound


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Frozen):
    item: str  # "commit", "slice country=FR auc >= 0.85", "auc improvement"
    passed: bool
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class RequirementResult(_Frozen):
    requirement: str  # provenance, no_deprecated_upstream, reproducibility, evaluation, ...
    checks: list[Check] = Field(min_length=1)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


class GateReport(_Frozen):
    model: str
    policy: str | None = None  # where the policy came from
    requirements: list[RequirementResult]

    @property
    def shipped(self) -> bool:
        return all(r.passed for r in self.requirements)

    @property
    def blocking(self) -> list[str]:
        return [r.requirement for r in self.requirements if not r.passed]


def exit_code(report: GateReport) -> int:
    return EXIT_SHIP if report.shipped else EXIT_BLOCKED
