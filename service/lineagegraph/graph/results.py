"""What the graph store hands back: plain frozen dataclasses, no Neo4j or GraphQL types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lineagegraph.refs import NodeKind


class Direction(StrEnum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"


class EdgeKind(StrEnum):
    """The lineage edge a FLOWS_TO mirror stands for (always read in flow direction)."""

    CONSUMED = "CONSUMED"  # artifact -> the run that consumed it
    PRODUCED = "PRODUCED"  # run -> the artifact it produced
    DERIVED_FROM = "DERIVED_FROM"  # source -> the feature derived from it
    EVALUATES = "EVALUATES"  # model -> the report evaluating it


@dataclass(frozen=True, slots=True)
class EventResult:
    """The outcome of one ingest event. ``ref`` is the run or artifact it created or touched
    (for a registration the final ref, with a server-assigned version when none was given)."""

    event_id: str
    ok: bool
    ref: str | None = None
    code: str | None = None
    message: str | None = None
    field: str | None = None
    warning: str | None = None  # accepted, but worth telling (a deprecated artifact consumed)


@dataclass(frozen=True, slots=True)
class LineageNode:
    ref: str
    kind: NodeKind
    name: str
    version: str | None
    depth: int


@dataclass(frozen=True, slots=True)
class LineageEdge:
    from_ref: str
    to_ref: str
    kind: EdgeKind


@dataclass(frozen=True, slots=True)
class LineageResult:
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ImpactResult:
    """The downstream closure, nearest first; ``truncated`` when it held more than the limit."""

    items: list[LineageNode]
    truncated: bool

    def of_kind(self, kind: NodeKind) -> list[LineageNode]:
        return [item for item in self.items if item.kind is kind]

    @property
    def total(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing, newest first; ``next_cursor`` is None on the last page."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None
    has_next: bool = field(default=False)
