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

from collections.abc import Sequence
from typing import Any

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


def lineage(
    tx: neo4j.ManagedTransaction,
    catalog: Catalog,
    ref: str,
    direction: Direction,
    depth: int,
    kinds: Sequence[NodeKind] | None,
    limit: int,
) -> LineageResult:
    tier = tier_for(depth)
    root = str(parse_ref(ref))
    roots = tx.run(catalog["lineage.roots"].text, ref=root).data()
    if not roots:
        raise NotFound(f"{root} does not exist", field="ref")
    wanted = {k.value for k in kinds} if kinds is not None else None
    seeds = [row for row in roots if row["id"] is not None]
    key = f"lineage.{direction.value.lower()}_{tier}"
    rows = (
        tx.run(
            catalog[key].text,
            ids=[row["id"] for row in seeds],
            depth=depth,
            kinds=sorted(wanted) if wanted is not None else None,
            limit=limit + 1,
        ).data()
        if seeds
        else []
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    nodes: dict[str, LineageNode] = {}
    ids: list[str] = []
    for row in seeds:
        if wanted is None or row["kind"] in wanted:
            nodes[row["ref"]] = _node(row, depth=0)
            ids.append(row["id"])
    for row in rows:
        if row["ref"] not in nodes:
            nodes[row["ref"]] = _node(row)
            ids.append(row["id"])
    edge_rows = tx.run(catalog["lineage.edges_among"].text, ids=ids).data() if ids else []
    edges = [LineageEdge(e["from"], e["to"], EdgeKind(e["kind"])) for e in edge_rows]
    return LineageResult(list(nodes.values()), edges, truncated)


def impact(tx: neo4j.ManagedTransaction, catalog: Catalog, ref: str, limit: int) -> ImpactResult:
    root = str(parse_ref(ref))
    rows = tx.run(catalog["impact.closure"].text, ref=root, limit=limit + 1).data()
    if not rows and not tx.run(catalog["lineage.roots"].text, ref=root).data():
        raise NotFound(f"{root} does not exist", field="ref")
    truncated = len(rows) > limit
    return ImpactResult([_node(row) for row in rows[:limit]], truncated)
