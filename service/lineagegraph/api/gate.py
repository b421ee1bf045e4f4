"""``gateFacts(model, baselineDeployed | baselineModel)``: what the release gate needs about a
model, as the JSON document of ``gate.facts.GateFacts`` (graph/gate_facts.py gathers it). The CLI
validates the policy and decides locally (``lineage gate``), so the decision logic runs the same
on a CI machine as in the unit tests."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanRead
from lineagegraph.api.types import Info
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
