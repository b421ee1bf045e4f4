"""The release gate over GraphQL.

- ``gateFacts(model, baselineDeployed | baselineModel)``: what the gate needs about a model, as
  the JSON document of ``gate.facts.GateFacts`` (graph/gate_facts.py gathers it). ``lineage
  gate`` validates the policy and decides locally with it, so the decision logic runs the same
  on a CI machine as in the unit tests.
- ``gate(model, policy)``: the same decision made by the service, for tools without the CLI: the
  policy as a JSON document (an invalid one is BAD_INPUT naming the key), the report as JSON
  (``gate.report.report_json``: ``shipped``, ``exit_code``, every requirement with evidence).
"""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanRead
from lineagegraph.api.types import Info
from lineagegraph.gate.evaluate import evaluate_gate
from lineagegraph.gate.policy_file import parse_policy
from lineagegraph.gate.report import report_json
from lineagegraph.graph.gate_facts import gate_facts

_READ: list[type[BasePermission]] = [CanRead]


@strawberry.type
class GateQuery:
    @strawberry.field(
        permission_classes=_READ,
        description="The facts the release gate judges a model by (gate/facts.py GateFacts as "
        "JSON): producing run provenance and inputs, deprecated upstream, verified level, "
        "evaluation reports, trial metrics, and the baseline (the model deployed in "
        "`baselineDeployed`, or `baselineModel`). NOT_FOUND for an unknown model.",
    )
    async def gate_facts(
        self,
        info: Info,
        model: str,
        baseline_deployed: str | None = None,
        baseline_model: str | None = None,
    ) -> JSON:
        facts = await in_thread(
            lambda: gate_facts(
                info.context.store,
                model,
                baseline_deployed=baseline_deployed,
                baseline_model=baseline_model,
            )
        )
        return JSON(facts.model_dump(mode="json"))

    @strawberry.field(
        permission_classes=_READ,
        description="May the model ship under the policy (a JSON document of the gate policy, "
        "as in deploy/ci/gate-policy.yaml)? The report as JSON: shipped, exit_code (0/1) and "
        "every requirement with its checks and evidence. BAD_INPUT for an invalid policy, "
        "NOT_FOUND for an unknown model.",
    )
    async def gate(self, info: Info, model: str, policy: JSON) -> JSON:
        parsed = parse_policy(policy, source="policy")
        baseline = parsed.improvement.baseline if parsed.improvement else None
        facts = await in_thread(
            lambda: gate_facts(
                info.context.store,
                model,
                baseline_deployed=baseline.deployed if baseline else None,
                baseline_model=baseline.model if baseline else None,
            )
        )
        return JSON(report_json(evaluate_gate(parsed, facts)))
