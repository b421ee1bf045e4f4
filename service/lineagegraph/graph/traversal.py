"""Lineage and impact: breadth-first over the FLOWS_TO mirror, in one read transaction.

The lineage graph has runs as nodes: artifact -> consuming run -> produced artifact, plus
source -> derived feature and model -> evaluation report. FLOWS_TO mirrors each of those edges in
that direction (schema/MODEL.md), so one single-direction variable-length pattern walks it and
Neo4j plans it as a breadth-first pruning expand (every node once, at its shortest distance).

Answers, exactly (tests/integration/test_lineage_property.py checks them against Python):
- lineage nodes: the roots at depth 0 (the node, or every snapshot of a dataset:<name>) and every
  node 1..depth edges away in the direction, at its shortest distance, both filtered by ``kinds``
  (the walk itself goes through every kind); edges: every lineage edge between two returned
  nodes, from upstream to downstream; ``truncated``: more than ``limit`` nodes were reachable;
- impact: every node downstream of the node (of any snapshot, for dataset:<name>), at any
  distance, nearest first; the roots themselves only when downstream of another root.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar

import neo4j

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.results import (
    Direction,
    EdgeKind,
    ImpactResult,
    LineageEdge,
    LineageNode,
    LineageResult,
)
from lineagegraph.refs import NodeKind, parse_ref

T = TypeVar("T")
MIN_DEPTH = 1
MAX_DEPTH = 50
#: Quantifier bounds must be literals: one statement per tier, the smallest tier >= depth is used.
TIERS = (1, 2, 3, 5, 10, 20, 50)


def check_depth(depth: int) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or not MIN_DEPTH <= depth <= MAX_DEPTH:
        raise BadInput(f"depth must be an integer from {MIN_DEPTH} to {MAX_DEPTH}", field="depth")
    return depth


def tier_for(depth: int) -> int:
    return next(t for t in TIERS if t >= check_depth(depth))


def _node(row: dict[str, Any], depth: int | None = None) -> LineageNode:
    return LineageNode(
        ref=row["ref"],
        kind=NodeKind(row["kind"]) if row["kind"] else parse_ref(row["ref"]).kind,
        name=row["name"],
        version=row["version"],
        depth=row["depth"] if depth is None else depth,
    )


#: A traversal as steps: it yields (statement text, parameters) and is sent back the rows of each
#: (``Result.data()``); run_steps runs them in a read transaction. (The async driver ran the same
#: steps no faster inside the server: measured, not kept.)
Steps = Generator[tuple[str, dict[str, Any]], list[dict[str, Any]], T]


def run_steps(tx: neo4j.ManagedTransaction, steps: Steps[T]) -> T:
    try:
        text, params = next(steps)
        while True:
            text, params = steps.send(tx.run(text, params).data())
    except StopIteration as done:
        result: T = done.value
        return result


def _rows(data: list[dict[str, Any]]) -> list[list[Any]]:
    """The one record a traversal statement returns: its ``rows`` list of lists (cypher/lineage/*,
    cypher/impact/closure), decoded by the driver far faster than one record per node."""
    (record,) = data
    rows: list[list[Any]] = record["rows"]
    return rows


def _nodes(rows: list[list[Any]]) -> list[LineageNode]:
    """[ref, kind, name, version, depth] lists as nodes."""
    return [
        LineageNode(
            ref=ref,
            kind=NodeKind(kind) if kind else parse_ref(ref).kind,
            name=name,
            version=version,
            depth=depth,
        )
        for ref, kind, name, version, depth in rows
    ]


def lineage_steps(
    catalog: Catalog,
    ref: str,
    direction: Direction,
    depth: int,
    kinds: Sequence[NodeKind] | None,
    limit: int,
) -> Steps[LineageResult]:
    tier = tier_for(depth)
    root = str(parse_ref(ref))
    roots = yield catalog["lineage.roots"].text, {"ref": root}
    if not roots:
        raise NotFound(f"{root} does not exist", field="ref")
    wanted = {k.value for k in kinds} if kinds is not None else None
    seeds = [row for row in roots if row["id"] is not None]
    key = f"lineage.{direction.value.lower()}_{tier}"
    found: list[LineageNode] = []
    found_ids: list[str] = []
    if seeds:
        params = {
            "ids": [row["id"] for row in seeds],
            "depth": depth,
            "kinds": sorted(wanted) if wanted is not None else None,
            "limit": limit + 1,
        }
        rows = _rows((yield catalog[key].text, params))
        found, found_ids = _nodes([row[1:] for row in rows]), [row[0] for row in rows]
    truncated = len(found) > limit
    nodes: dict[str, LineageNode] = {}
    ids: list[str] = []
    for row in seeds:
        if wanted is None or row["kind"] in wanted:
            nodes[row["ref"]] = _node(row, depth=0)
            ids.append(row["id"])
    for node, node_id in zip(found[:limit], found_ids, strict=False):
        if node.ref not in nodes:
            nodes[node.ref] = node
            ids.append(node_id)
    edges: list[LineageEdge] = []
    if ids:
        edge_rows = _rows((yield catalog["lineage.edges_among"].text, {"ids": ids}))
        edges = [LineageEdge(a, b, EdgeKind(k)) for a, b, k in edge_rows]
    return LineageResult(list(nodes.values()), edges, truncated)


def impact_steps(catalog: Catalog, ref: str, limit: int) -> Steps[ImpactResult]:
    root = str(parse_ref(ref))
    found = _nodes(_rows((yield catalog["impact.closure"].text, {"ref": root, "limit": limit + 1})))
    if not found and not (yield catalog["lineage.roots"].text, {"ref": root}):
        raise NotFound(f"{root} does not exist", field="ref")
    return ImpactResult(found[:limit], len(found) > limit)


def lineage(
    tx: neo4j.ManagedTransaction,
    catalog: Catalog,
    ref: str,
    direction: Direction,
    depth: int,
    kinds: Sequence[NodeKind] | None,
    limit: int,
) -> LineageResult:
    return run_steps(tx, lineage_steps(catalog, ref, direction, depth, kinds, limit))


def impact(tx: neo4j.ManagedTransaction, catalog: Catalog, ref: str, limit: int) -> ImpactResult:
    return run_steps(tx, impact_steps(catalog, ref, limit))
