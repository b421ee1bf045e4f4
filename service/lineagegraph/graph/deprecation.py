"""Deprecation of artifacts, and what is downstream of a deprecated one.

A deprecation is a set of node properties (``deprecated``, ``deprecatedAt``, ``deprecatedBy``,
``deprecationReason``, ``deprecationSunset`` as ISO date text, ``deprecationReplacement``) on a
dataset snapshot, feature definition, model or report; ``dataset:<name>`` deprecates every
snapshot the dataset has. It never touches a lineage edge. What lies downstream learns of it by
an upstream traversal over the FLOWS_TO mirror (``cypher/deprecation/upstream.cypher``).

The consume rule (``deprecation_policy`` warn|block) is enforced by the ingest planner
(``ingest_plan.py``) with the states read by :func:`consume_states`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import neo4j

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.records import to_python
from lineagegraph.graph.statements import StatementStore
from lineagegraph.refs import ARTIFACT_KINDS, NodeKind, parse_ref

if TYPE_CHECKING:
    pass

MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class DeprecationInfo:
    """Why and since when an artifact is deprecated."""

    ref: str
    reason: str | None = None
    sunset: date | None = None
    replacement: str | None = None
    at: datetime | None = None
    by: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamDeprecation:
    """A deprecated artifact upstream of a node: its distance and one shortest path from it down
    to the node (refs, the deprecated artifact first)."""

    info: DeprecationInfo
    depth: int
    path: list[str] = field(default_factory=list)


def info_from_node(node: dict[str, Any]) -> DeprecationInfo | None:
    """The deprecation a store node dict carries (``read.nodes`` properties), or None."""
    if node.get("deprecated") is not True:
        return None
    return DeprecationInfo(
        ref=str(node["ref"]),
        reason=node.get("deprecationReason"),
        sunset=_date(node.get("deprecationSunset")),
        replacement=node.get("deprecationReplacement"),
        at=node.get("deprecatedAt"),
        by=node.get("deprecatedBy"),
    )


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def describe(info: DeprecationInfo) -> str:
    """One line naming the snapshot, the reason and the replacement (errors and warnings)."""
    parts = [f"{info.ref} is deprecated: {info.reason or 'no reason given'}"]
    if info.sunset:
        parts.append(f"sunset {info.sunset.isoformat()}")
    parts.append(f"use {info.replacement} instead" if info.replacement else "no replacement given")
    return "; ".join(parts)


class DeprecationStore(StatementStore):
    def _session(self, read: bool) -> neo4j.Session:
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self.driver.session(database=self.database, default_access_mode=mode)

    def _targets(self, tx: neo4j.ManagedTransaction, ref: str) -> list[str]:
        rows = tx.run(self.catalog["deprecation.targets"].text, ref=ref).data()
        if not rows:
            raise NotFound(f"{ref} does not exist", field="ref")
        targets = [str(row["ref"]) for row in rows if row["ref"] is not None]
        if not targets:
            raise NotFound(f"{ref} has no snapshot to deprecate", field="ref")
        return targets

    @staticmethod
    def _check_ref(ref: str) -> str:
        parsed = parse_ref(ref, field="ref")
        if parsed.kind not in ARTIFACT_KINDS and parsed.kind is not NodeKind.DATASET:
            raise BadInput(
                f"{ref!r} is a {parsed.kind.value}: only artifacts and datasets are deprecated",
                field="ref",
            )
        return str(parsed)

    def targets(self, ref: str) -> list[str]:
        """The artifacts a deprecation of ``ref`` would mark (for a dry run)."""
        canonical = self._check_ref(ref)
        with self._session(read=True) as session:
            found: list[str] = session.execute_read(self._targets, canonical)
        return found

    def deprecate(
        self,
        ref: str,
        *,
        reason: str,
        by: str,
        sunset: date | None = None,
        replacement: str | None = None,
    ) -> list[str]:
        """Mark ``ref`` (or every snapshot of ``dataset:<name>``) deprecated; the refs marked."""
        canonical = self._check_ref(ref)
        if not reason.strip():
            raise BadInput("a deprecation needs a reason", field="reason")
        if len(reason) > MAX_REASON:
            raise BadInput(f"reason is longer than {MAX_REASON} characters", field="reason")
        if replacement is not None:
            replacement = str(parse_ref(replacement, field="replacement"))
            if replacement == canonical:
                raise BadInput("an artifact cannot replace itself", field="replacement")
        at = datetime.now(UTC)

        def work(tx: neo4j.ManagedTransaction) -> list[str]:
            if replacement is not None:
                rows = tx.run(self.catalog["lineage.roots"].text, ref=replacement).data()
                if not rows:
                    raise NotFound(f"replacement {replacement} does not exist", field="replacement")
            rows = [
                {
                    "ref": target,
                    "at": at,
                    "by": by,
                    "reason": reason.strip(),
                    "sunset": sunset.isoformat() if sunset else None,
                    "replacement": replacement,
                }
                for target in self._targets(tx, canonical)
            ]
            marked = tx.run(self.catalog["deprecation.mark"].text, rows=rows).data()
            return [str(row["ref"]) for row in marked]

        with self._session(read=False) as session:
            done: list[str] = session.execute_write(work)
        return done

    def undeprecate(self, ref: str) -> list[str]:
        """Remove the deprecation of ``ref`` (or of every snapshot of a dataset); the refs that
        were deprecated."""
        canonical = self._check_ref(ref)

        def work(tx: neo4j.ManagedTransaction) -> list[str]:
            targets = self._targets(tx, canonical)
            rows = tx.run(self.catalog["deprecation.unmark"].text, refs=targets).data()
            return [str(row["ref"]) for row in rows if row["was"]]

        with self._session(read=False) as session:
            done: list[str] = session.execute_write(work)
        return done

    def upstream(self, refs: Sequence[str]) -> dict[str, list[UpstreamDeprecation]]:
        """For each node: the deprecated artifacts upstream of it, nearest first."""
        found: dict[str, list[UpstreamDeprecation]] = {ref: [] for ref in refs}
        if not refs:
            return found
        text = self.catalog["deprecation.upstream"].text

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return tx.run(text, refs=sorted(set(refs))).data()

        with self._session(read=True) as session:
            rows: list[dict[str, Any]] = session.execute_read(work)
        for row in rows:
            info = DeprecationInfo(
                ref=str(row["deprecated"]),
                reason=row["reason"],
                sunset=_date(row["sunset"]),
                replacement=row["replacement"],
                at=to_python(row["deprecatedAt"]),
                by=row["deprecatedBy"],
            )
            found[row["ref"]].append(
                UpstreamDeprecation(info, int(row["depth"]), [str(r) for r in row["path"]])
            )
        return found


def consume_states(
    tx: neo4j.ManagedTransaction, catalog: Catalog, refs: Sequence[str]
) -> dict[str, DeprecationInfo]:
    """The deprecated ones among artifacts a batch consumes (in the ingest's transaction)."""
    if not refs:
        return {}
    rows = tx.run(catalog["deprecation.consume_states"].text, refs=sorted(set(refs))).data()
    return {
        row["ref"]: DeprecationInfo(
            ref=str(row["ref"]),
            reason=row["reason"],
            sunset=_date(row["sunset"]),
            replacement=row["replacement"],
        )
        for row in rows
    }
