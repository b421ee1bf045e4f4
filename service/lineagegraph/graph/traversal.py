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


# Each traversal is ONE statement (cypher/lineage/<direction>_<tier>, cypher/impact/closure):
# roots, walk, (edges) and whether the ref exists, answered in one Bolt record of lists, so a
# read transaction makes a single RUN round trip and the driver decodes one record, not one per
# node. A query function gives (statement, parameters); an answer function shapes the record.


def lineage_query(
    catalog: Catalog,
    ref: str,
    direction: Direction,
    depth: int,
    kinds: Sequence[NodeKind] | None,
    limit: int,
) -> tuple[str, dict[str, Any]]:
    tier = tier_for(depth)
    params = {
        "ref": str(parse_ref(ref)),
        "depth": depth,
        "kinds": sorted({k.value for k in kinds}) if kinds is not None else None,
        "limit": limit,
    }
    return catalog[f"lineage.{direction.value.lower()}_{tier}"].text, params


def lineage_answer(record: neo4j.Record, ref: str) -> LineageResult:
    if not record["known"]:
        raise NotFound(f"{ref} does not exist", field="ref")
    edges = [LineageEdge(a, b, EdgeKind(k)) for a, b, k in record["edges"]]
    return LineageResult(_nodes(record["rows"]), edges, record["truncated"])


def impact_query(catalog: Catalog, ref: str, limit: int) -> tuple[str, dict[str, Any]]:
    return catalog["impact.closure"].text, {"ref": str(parse_ref(ref)), "limit": limit}


def impact_answer(record: neo4j.Record, ref: str) -> ImpactResult:
    if not record["known"]:
        raise NotFound(f"{ref} does not exist", field="ref")
    return ImpactResult(_nodes(record["rows"]), record["truncated"])


def lineage(
    tx: neo4j.ManagedTransaction,
    catalog: Catalog,
    ref: str,
    direction: Direction,
    depth: int,
    kinds: Sequence[NodeKind] | None,
    limit: int,
) -> LineageResult:
    text, params = lineage_query(catalog, ref, direction, depth, kinds, limit)
    return lineage_answer(tx.run(text, params).single(strict=True), params["ref"])


def impact(tx: neo4j.ManagedTransaction, catalog: Catalog, ref: str, limit: int) -> ImpactResult:
    text, params = impact_query(catalog, ref, limit)
    return impact_answer(tx.run(text, params).single(strict=True), params["ref"])
