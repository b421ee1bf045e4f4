"""The gate's report for people (a table) and for tools (JSON), and the exit code."""

from __future__ import annotations

from typing import Any

from lineagegraph.gate.outcome import EXIT_BLOCKED, EXIT_SHIP, GateReport, exit_code
from lineagegraph.repro.render import table
from lineagegraph.repro.verdict import to_json

__all__ = ["EXIT_BLOCKED", "EXIT_SHIP", "exit_code", "render_report", "report_json"]


def render_report(report: GateReport) -> str:
    verdict = "SHIP" if report.shipped else "BLOCKED"
    head = f"{report.model}: {verdict}"
    if report.policy:
        head += f" (policy {report.policy})"
    rows: list[list[Any]] = []
    for requirement in report.requirements:
        for check in requirement.checks:
            mark = "pass" if check.passed else "FAIL"
            rows.append([requirement.requirement, mark, check.item, check.detail])
    lines = [head, "", table(["REQUIREMENT", "RESULT", "CHECK", "EVIDENCE"], rows, max_cell=None)]
    if not report.shipped:
        lines += ["", "blocked by: " + ", ".join(report.blocking)]
    return "\n".join(lines)


def report_json(report: GateReport) -> dict[str, Any]:
    document: dict[str, Any] = to_json(report)
    document["shipped"] = report.shipped
    document["exit_code"] = exit_code(report)
    for requirement, result in zip(document["requirements"], report.requirements, strict=True):
        requirement["passed"] = result.passed
    return document
