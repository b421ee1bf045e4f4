"""The impact report: everything downstream of a node, with what a data owner needs to act.

Per item: its depth (shortest distance from the roots), one shortest path from a root (refs),
the run that produced it, its owner and team (the item's ``owner``/``team`` tags, else its
producing run's, else for owner the run's user), whether it is deprecated, and for models the
environments where they serve now. Models that serve somewhere come first.

Roots and closure follow ``impact(ref)`` (schema/MODEL.md): the node, or every snapshot of a
``dataset:<name>``. Paths come from breadth-first parent pointers: every item at depth d has an
edge from a node at depth d-1 (a root counts as depth 0), the smallest such ref is its parent.
One read transaction, two statements, whatever the size of the closure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import neo4j

from lineagegraph.errors import NotFound
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.traversal import check_depth
from lineagegraph.refs import NodeKind, parse_ref

if TYPE_CHECKING:
    from lineagegraph.graph.store import GraphStore

#: The order kinds are listed in.
KIND_ORDER = (
    NodeKind.MODEL,
    NodeKind.EVALUATION_REPORT,
    NodeKind.RUN,
    NodeKind.DATASET_SNAPSHOT,
    NodeKind.FEATURE_DEFINITION,
)


@dataclass(frozen=True, slots=True)
class ReportItem:
    ref: str
    kind: NodeKind
    name: str
    version: str | None
    depth: int
    path: list[str]  # from a root to this item, both included
    produced_by: str | None = None
    owner: str | None = None
    team: str | None = None
    deprecated: bool = False
    deployed_in: list[str] = field(default_factory=list)

    @property
    def deployed(self) -> bool:
        return bool(self.deployed_in)


@dataclass(frozen=True, slots=True)
class ImpactReport:
    ref: str
    roots: list[str]
    items: list[ReportItem]  # grouped by kind (KIND_ORDER), deployed models first
    truncated: bool
    depth: int | None = None  # the depth asked (None: any)

    def of_kind(self, kind: NodeKind) -> list[ReportItem]:
        return [item for item in self.items if item.kind is kind]

    @property
    def deployed_models(self) -> list[ReportItem]:
        return [item for item in self.items if item.kind is NodeKind.MODEL and item.deployed]


def _tags(keys: Any, values: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in zip(keys or [], values or [], strict=False)}


def _owner_and_team(row: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    own = _tags(row.get("tagKeys"), row.get("tagValues"))
    producers = sorted(row.get("producers") or [], key=lambda p: str(p.get("ref")))
    producer = producers[0] if producers else None
    run_tags = _tags(producer.get("tagKeys"), producer.get("tagValues")) if producer else {}
    owner = own.get("owner") or run_tags.get("owner")
    if owner is None:
        owner = row.get("user") if row.get("kind") == NodeKind.RUN.value else None
        if owner is None and producer is not None:
            owner = producer.get("user")
    team = own.get("team") or run_tags.get("team")
    return (str(producer["ref"]) if producer else None), owner, team


def _sort_key(item: ReportItem) -> tuple[int, int, int, str]:
    rank = KIND_ORDER.index(item.kind) if item.kind in KIND_ORDER else len(KIND_ORDER)
    return (rank, 0 if item.deployed else 1, item.depth, item.ref)


def _report(
    tx: neo4j.ManagedTransaction, catalog: Catalog, ref: str, depth: int | None, limit: int
) -> ImpactReport:
    roots = tx.run(catalog["lineage.roots"].text, ref=ref).data()
    if not roots:
        raise NotFound(f"{ref} does not exist", field="ref")
    seeds = [row for row in roots if row["id"] is not None]
    root_refs = sorted(str(row["ref"]) for row in seeds)
    if not seeds:
        return ImpactReport(ref, [], [], False, depth)
    seed_ids = [row["id"] for row in seeds]
    rows = tx.run(catalog["impact.report_nodes"].text, ids=seed_ids, limit=limit + 1).data()
    truncated = len(rows) > limit
    rows = rows[:limit]
    if depth is not None:
        rows = [row for row in rows if int(row["depth"]) <= depth]
    incoming = {str(row["ref"]): [str(u) for u in row["upstream"] or []] for row in rows}
    item_depth = {str(row["ref"]): int(row["depth"]) for row in rows}
    is_root = set(root_refs)

    def as_parent(node: str) -> int:
        return 0 if node in is_root else item_depth.get(node, -1)

    paths: dict[str, list[str]] = {}

    def path_to(node: str) -> list[str]:
        # items in depth order: a parent's path is always known before its children's
        found = paths.get(node)
        if found is not None:
            return found
        d = item_depth[node]
        parents = sorted(u for u in incoming.get(node, []) if as_parent(u) == d - 1)
        if not parents:  # pragma: no cover - every closure node has such an edge
            return [node]
        parent = parents[0]
        head = [parent] if parent in is_root else path_to(parent)
        paths[node] = [*head, node]
        return paths[node]

    items = []
    for row in sorted(rows, key=lambda r: (int(r["depth"]), str(r["ref"]))):
        node_ref = str(row["ref"])
        kind = NodeKind(row["kind"]) if row["kind"] else parse_ref(node_ref).kind
        produced_by, owner, team = _owner_and_team(row)
        items.append(
            ReportItem(
                ref=node_ref,
                kind=kind,
                name=str(row["name"] or ""),
                version=row["version"],
                depth=int(row["depth"]),
                path=path_to(node_ref),
                produced_by=produced_by,
                owner=owner,
                team=team,
                deprecated=bool(row["deprecated"]),
                deployed_in=sorted(str(env) for env in row["deployedIn"] or []),
            )
        )
    items.sort(key=_sort_key)
    return ImpactReport(ref, root_refs, items, truncated, depth)


def impact_report(store: GraphStore, ref: str, depth: int | None = None) -> ImpactReport:
    """Everything downstream of ``ref`` up to ``depth`` (1..50; None: any depth)."""
    root = str(parse_ref(ref))
    if depth is not None:
        check_depth(depth)
    with store.driver.session(
        database=store.database, default_access_mode=neo4j.READ_ACCESS
    ) as session:
        report: ImpactReport = session.execute_read(
            _report, store.catalog, root, depth, store.max_impact_nodes
        )
    return report
