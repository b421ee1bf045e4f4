"""Deprecation over GraphQL: ``deprecate`` / ``undeprecate`` mutations, and on every artifact
``deprecation`` (its own) and ``deprecatedUpstream`` (deprecated artifacts anywhere upstream, with
the path down to it; one DataLoader query per request, graph/deprecation.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.permission import BasePermission

from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanWrite
from lineagegraph.api.types import Info
from lineagegraph.graph.deprecation import (
    DeprecationInfo,
    DeprecationStore,
    UpstreamDeprecation,
    info_from_node,
)

_WRITE: list[type[BasePermission]] = [CanWrite]
_LOADER = "deprecated_upstream"


@strawberry.type(description="Why, since when and by whom an artifact is deprecated.")
class Deprecation:
    reason: str | None
    sunset: date | None
    replacement: str | None = strawberry.field(description="The ref to use instead, if given.")
    deprecated_at: datetime | None
    deprecated_by: str | None = strawberry.field(description="The API token's name.")

    @classmethod
    def of(cls, info: DeprecationInfo) -> Deprecation:
        return cls(
            reason=info.reason,
            sunset=info.sunset,
            replacement=info.replacement,
            deprecated_at=info.at,
            deprecated_by=info.by,
        )


@strawberry.type(description="A deprecated artifact upstream of this one.")
class DeprecatedUpstream:
    ref: str
    depth: int = strawberry.field(description="Lineage edges between it and this artifact.")
    path: list[str] = strawberry.field(
        description="Refs from the deprecated artifact down to this one (a shortest path)."
    )
    deprecation: Deprecation

    @classmethod
    def of(cls, item: UpstreamDeprecation) -> DeprecatedUpstream:
        return cls(
            ref=item.info.ref,
            depth=item.depth,
            path=item.path,
            deprecation=Deprecation.of(item.info),
        )


@strawberry.input(description="Deprecate a snapshot (or every snapshot of dataset:<name>).")
class DeprecateInput:
    ref: str
    reason: str
    sunset: date | None = strawberry.field(default=None, description="When it goes away.")
    replacement: str | None = strawberry.field(default=None, description="What to use instead.")


@strawberry.input
class UndeprecateInput:
    ref: str


@strawberry.type
class DeprecationResult:
    ref: str = strawberry.field(description="The ref asked for.")
    artifacts: list[str] = strawberry.field(description="The artifacts marked or unmarked.")


def deprecation_of(data: dict[str, object]) -> Deprecation | None:
    found = info_from_node(dict(data))
    return Deprecation.of(found) if found is not None else None


async def deprecated_upstream_of(info: Info, ref: str) -> list[DeprecatedUpstream]:
    loaders = info.context.loaders.extra
    loader = loaders.get(_LOADER)
    if loader is None:
        store = DeprecationStore.of(info.context.store)

        async def load(refs: Sequence[str]) -> list[list[UpstreamDeprecation]]:
            found = await in_thread(store.upstream, list(refs))
            return [found.get(r, []) for r in refs]

        loader = loaders[_LOADER] = DataLoader(load)
    items: list[UpstreamDeprecation] = await loader.load(ref)
    return [DeprecatedUpstream.of(item) for item in items]


def _who(info: Info) -> str:
    principal = info.context.identity.principal
    return principal.name if principal is not None else "unknown"


@strawberry.type
class DeprecationMutation:
    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Mark an artifact deprecated (for dataset:<name>, every snapshot), with who, "
        "when, why, the sunset date and a replacement.",
    )
    async def deprecate(self, info: Info, input: DeprecateInput) -> DeprecationResult:
        store = DeprecationStore.of(info.context.store)
        marked = await in_thread(
            lambda: store.deprecate(
                input.ref,
                reason=input.reason,
                by=_who(info),
                sunset=input.sunset,
                replacement=input.replacement,
            )
        )
        return DeprecationResult(ref=input.ref, artifacts=marked)

    @strawberry.mutation(permission_classes=_WRITE, description="Reverse a deprecation.")
    async def undeprecate(self, info: Info, input: UndeprecateInput) -> DeprecationResult:
        store = DeprecationStore.of(info.context.store)
        unmarked = await in_thread(store.undeprecate, input.ref)
        return DeprecationResult(ref=input.ref, artifacts=unmarked)
