"""Deployments over GraphQL: ``recordDeployment`` (a model version serves in an environment from
now on, replacing the one serving there) and ``deployments`` (current ones, or a model's
history). Stored by graph/deployments.py."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.permission import BasePermission

from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanRead, CanWrite
from lineagegraph.api.types import Info
from lineagegraph.graph.deployments import Deployment as StoredDeployment
from lineagegraph.graph.deployments import DeploymentStore, check_model

_READ: list[type[BasePermission]] = [CanRead]
_WRITE: list[type[BasePermission]] = [CanWrite]


@strawberry.type(description="A model serving (or having served) in an environment.")
class Deployment:
    model: str
    env: str
    since: datetime | None
    by: str | None = strawberry.field(description="The API token's name.")
    until: datetime | None = strawberry.field(description="Null while it is serving.")
    replaced_by: str | None
    current: bool

    @classmethod
    def of(cls, d: StoredDeployment) -> Deployment:
        return cls(
            model=d.model,
            env=d.env,
            since=d.since,
            by=d.by,
            until=d.until,
            replaced_by=d.replaced_by,
            current=d.current,
        )


@strawberry.input(description="model:<name>@<version> serves in env (e.g. prod) from now on.")
class RecordDeploymentInput:
    model: str
    env: str


@strawberry.type
class DeploymentRecord:
    deployment: Deployment
    replaced: list[str] = strawberry.field(description="Models that stopped serving there.")


@strawberry.type
class DeploymentMutation:
    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Record that a model version serves in an environment (one per environment).",
    )
    async def record_deployment(self, info: Info, input: RecordDeploymentInput) -> DeploymentRecord:
        principal = info.context.identity.principal
        by = principal.name if principal is not None else "unknown"
        store = DeploymentStore.of(info.context.store)
        done = await in_thread(store.record, input.model, input.env, by)
        return DeploymentRecord(deployment=Deployment.of(done.deployment), replaced=done.replaced)


@strawberry.type
class DeploymentQuery:
    @strawberry.field(
        permission_classes=_READ,
        description="Deployments: with `model`, its whole history (newest first); otherwise the "
        "model serving now in `env`, or in every environment.",
    )
    async def deployments(
        self, info: Info, env: str | None = None, model: str | None = None
    ) -> list[Deployment]:
        store = DeploymentStore.of(info.context.store)
        if model is not None:
            ref = check_model(model)
            history = (await in_thread(store.of_models, [ref]))[ref]
            return [Deployment.of(d) for d in history if env is None or d.env == env]
        if env is not None:
            current = (await in_thread(store.current, [env])).values()
            return [Deployment.of(d) for d in current]
        return [Deployment.of(d) for d in await in_thread(store.all_current)]
