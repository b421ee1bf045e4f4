"""``impactReport(ref, depth)``: the impact with, per item, its path from the root, producing run,
owner/team and deployments (graph/impact_report.py); the CLI's ``lineage impact`` prints it."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission

from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanRead
from lineagegraph.api.types import Info
from lineagegraph.graph.impact_report import ImpactReport as StoredReport
from lineagegraph.graph.impact_report import ReportItem, impact_report
from lineagegraph.refs import NodeKind

_READ: list[type[BasePermission]] = [CanRead]


@strawberry.type(description="One node downstream, with what a data owner needs to act on it.")
class ImpactReportItem:
    ref: str
    kind: NodeKind
    name: str
    version: str | None
    depth: int
    path: list[str] = strawberry.field(description="Refs from a root down to this item.")
    produced_by: str | None = strawberry.field(description="The producing run's ref.")
    owner: str | None
    team: str | None
    deprecated: bool
    deployed_in: list[str] = strawberry.field(description="Environments it serves in now.")

    @classmethod
    def of(cls, item: ReportItem) -> ImpactReportItem:
        return cls(
            ref=item.ref,
            kind=item.kind,
            name=item.name,
            version=item.version,
            depth=item.depth,
            path=item.path,
            produced_by=item.produced_by,
            owner=item.owner,
            team=item.team,
            deprecated=item.deprecated,
            deployed_in=item.deployed_in,
        )


@strawberry.type(description="Everything downstream, grouped by kind; deployed models first.")
class ImpactReport:
    ref: str
    roots: list[str]
    items: list[ImpactReportItem] = strawberry.field(
        description="Models (deployed first), reports, runs, snapshots, features; each nearest "
        "first."
    )
    deployed_models: list[str]
    total: int
    truncated: bool

    @classmethod
    def of(cls, report: StoredReport) -> ImpactReport:
        return cls(
            ref=report.ref,
            roots=report.roots,
            items=[ImpactReportItem.of(item) for item in report.items],
            deployed_models=[item.ref for item in report.deployed_models],
            total=len(report.items),
            truncated=report.truncated,
        )


@strawberry.type
class ImpactReportQuery:
    @strawberry.field(
        permission_classes=_READ,
        description="The impact of a node with paths, producers, owners and deployments; "
        "`depth` (1..50) limits how far, default any depth.",
    )
    async def impact_report(self, info: Info, ref: str, depth: int | None = None) -> ImpactReport:
        report = await in_thread(impact_report, info.context.store, ref, depth)
        return ImpactReport.of(report)
