"""Queries: node lookup, listings, lineage and impact. Thin: each calls one store method."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.permission import BasePermission

from lineagegraph import __version__
from lineagegraph.api.context import in_thread
from lineagegraph.api.inputs import ArtifactFilter, RunFilter, TagFilter
from lineagegraph.api.permissions import CanRead
from lineagegraph.api.types import (
    Impact,
    ImpactItem,
    Info,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Node,
    NodeConnection,
    PageInfo,
    Run,
    RunConnection,
    wrap,
    wrap_all,
)
from lineagegraph.errors import NotFound
from lineagegraph.graph import results
from lineagegraph.graph.reads import ListFilter
from lineagegraph.graph.results import Direction, ImpactResult, Page
from lineagegraph.refs import NodeKind, parse_ref

_READ: list[type[BasePermission]] = [CanRead]


def _tag(tag: TagFilter | None) -> tuple[str | None, str | None]:
    return (tag.key, tag.value) if tag is not None else (None, None)


def _page_info(page: Page) -> PageInfo:
    return PageInfo(has_next_page=page.has_next, end_cursor=page.next_cursor)


def _impact(result: ImpactResult) -> Impact:
    groups: dict[NodeKind, list[results.LineageNode]] = {kind: [] for kind in NodeKind}
    for item in result.items:  # one pass, nearest first within each kind
        groups[item.kind].append(item)
    # the graph's nodes are served as ImpactItem (same attribute names, see api/types.py)
    served = cast(dict[NodeKind, list[ImpactItem]], groups)
    return Impact(
        runs=served[NodeKind.RUN],
        dataset_snapshots=served[NodeKind.DATASET_SNAPSHOT],
        feature_definitions=served[NodeKind.FEATURE_DEFINITION],
        models=served[NodeKind.MODEL],
        evaluation_reports=served[NodeKind.EVALUATION_REPORT],
        total=result.total,
        truncated=result.truncated,
    )


@strawberry.type
class Query:
    @strawberry.field(permission_classes=_READ, description="The version of the running service.")
    def service_version(self) -> str:
        return __version__

    @strawberry.field(permission_classes=_READ, description="Any node by ref; NOT_FOUND if none.")
    async def node(self, info: Info, ref: str) -> Node | None:
        canonical = str(parse_ref(ref))
        found = wrap(await info.context.loaders.nodes.load(canonical))
        if found is None:
            raise NotFound(f"{canonical} does not exist", field="ref")
        return found

    @strawberry.field(permission_classes=_READ, description="Runs, newest first.")
    async def runs(
        self,
        info: Info,
        filter: RunFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> RunConnection:
        f = filter or RunFilter()
        tag_key, tag_value = _tag(f.tag)
        flt = ListFilter(
            name=f.name,
            status=f.status.value if f.status else None,
            tag_key=tag_key,
            tag_value=tag_value,
            created_after=f.created_after,
            created_before=f.created_before,
            job_namespace=f.job_namespace,
            job_name=f.job_name,
        )
        page = await in_thread(lambda: info.context.store.list_runs(flt, first=first, after=after))
        runs = [r for r in wrap_all(page.items) if isinstance(r, Run)]
        return RunConnection(nodes=runs, page_info=_page_info(page))

    @strawberry.field(
        permission_classes=_READ,
        description="Dataset snapshots, features, models, reports and datasets, newest first.",
    )
    async def artifacts(
        self,
        info: Info,
        kind: NodeKind | None = None,
        filter: ArtifactFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> NodeConnection:
        f = filter or ArtifactFilter()
        tag_key, tag_value = _tag(f.tag)
        flt = ListFilter(
            name=f.name,
            status=f.status.value if f.status else None,
            tag_key=tag_key,
            tag_value=tag_value,
            created_after=f.created_after,
            created_before=f.created_before,
        )
        kinds = [NodeKind(kind)] if kind is not None else None
        page = await in_thread(
            lambda: info.context.store.list_artifacts(kinds, flt, first=first, after=after)
        )
        return NodeConnection(nodes=wrap_all(page.items), page_info=_page_info(page))

    @strawberry.field(
        permission_classes=_READ,
        description="Where a node came from (UPSTREAM) or what came of it (DOWNSTREAM), up to "
        "`depth` edges (1..50); runs are nodes.",
    )
    async def lineage(
        self,
        info: Info,
        ref: str,
        direction: Direction,
        depth: int | None = 5,
        kinds: list[NodeKind] | None = None,
    ) -> LineageGraph:
        chosen = [NodeKind(k) for k in kinds] if kinds is not None else None
        steps = 5 if depth is None else depth
        result = await in_thread(info.context.store.lineage, ref, direction, steps, chosen)
        # the graph's nodes and edges, served as they are (same attribute names, api/types.py)
        return LineageGraph(
            nodes=cast(list[LineageNode], result.nodes),
            edges=cast(list[LineageEdge], result.edges),
            truncated=result.truncated,
        )

    @strawberry.field(
        permission_classes=_READ,
        description="Everything downstream of an artifact or run, at any depth; for "
        "dataset:<name> the union over its snapshots.",
    )
    async def impact(self, info: Info, ref: str) -> Impact:
        return _impact(await in_thread(info.context.store.impact, ref))
