"""GraphStore: the one entry point to the lineage graph for the API and other server modules.

Synchronous (GraphQL resolvers call it in worker threads). Every statement comes from the Cypher
catalog; reads run in read transactions, each batch of events in one write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import neo4j

from lineagegraph.errors import BadInput
from lineagegraph.graph import reads, traversal
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.ingest import Ingestor
from lineagegraph.graph.reads import ListFilter, MetricPoint
from lineagegraph.graph.results import (
    Direction,
    EventResult,
    ImpactResult,
    LineageResult,
    Page,
)
from lineagegraph.graph.statements import write_rows
from lineagegraph.models import IngestEvent
from lineagegraph.refs import ARTIFACT_KINDS, NodeKind, parse_ref

T = TypeVar("T")
DEFAULT_MAX_LINEAGE_NODES = 10_000
DEFAULT_MAX_IMPACT_NODES = 100_000
DEFAULT_MAX_PAGE_SIZE = 500


class GraphStore:
    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        catalog: Catalog,
        *,
        max_lineage_nodes: int = DEFAULT_MAX_LINEAGE_NODES,
        max_impact_nodes: int = DEFAULT_MAX_IMPACT_NODES,
        max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
        deprecation_policy: str = "warn",
    ) -> None:
        self.driver = driver
        self.database = database
        self.catalog = catalog
        self.max_lineage_nodes = max_lineage_nodes
        self.max_impact_nodes = max_impact_nodes
        self.max_page_size = max_page_size
        self.deprecation_policy = deprecation_policy  # warn|block: consumes of deprecated ones
        self._ingestor = Ingestor(
            driver, database, catalog, block_deprecated=deprecation_policy == "block"
        )

    # --- plumbing ----------------------------------------------------------------------------
    def _read(self, work: Any, *args: Any) -> Any:
        with self.driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            return session.execute_read(work, self.catalog, *args)

    def _write(self, key: str, **params: Any) -> list[dict[str, Any]]:
        return write_rows(self.driver, self.database, self.catalog[key].text, params)

    # --- writes ------------------------------------------------------------------------------
    def apply_events(self, events: Sequence[IngestEvent]) -> list[EventResult]:
        """Apply events in order, idempotently; a failing event is reported, the rest apply."""
        return self._ingestor.apply(events)

    def sync_flow_mirrors(self, refs: Sequence[str]) -> int:
        """Repair the FLOWS_TO mirror around these nodes, for writers that add or move lineage
        edges with their own statements (see schema/MODEL.md). Returns the nodes visited."""
        if not refs:
            return 0
        rows = self._write("lineage.sync_mirrors", refs=sorted(set(refs)))
        return int(rows[0]["synced"]) if rows else 0

    def mirror_drift(self) -> tuple[int, int]:
        """(lineage edges without mirror, mirrors without edge): both 0 when consistent."""

        def work(tx: neo4j.ManagedTransaction, catalog: Catalog) -> tuple[int, int]:
            row = tx.run(catalog["lineage.mirror_drift"].text).single(strict=True)
            return int(row["missing"]), int(row["stale"])

        result: tuple[int, int] = self._read(work)
        return result

    # --- nodes -------------------------------------------------------------------------------
    def get_node(self, ref: str) -> dict[str, Any] | None:
        canonical = str(parse_ref(ref))
        return self.get_nodes([canonical]).get(canonical)

    def get_nodes(self, refs: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not refs:
            return {}
        found: dict[str, dict[str, Any]] = self._read(reads.nodes, list(refs))
        return found

    def related(self, relation: str, refs: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Neighbours of many nodes at once (relation: a key of reads.RELATIONS)."""
        if not refs:
            return {}
        found: dict[str, list[dict[str, Any]]] = self._read(reads.related, relation, list(refs))
        return found

    # --- traversal ---------------------------------------------------------------------------
    def lineage(
        self,
        ref: str,
        direction: Direction,
        depth: int = 5,
        kinds: Sequence[NodeKind] | None = None,
    ) -> LineageResult:
        traversal.check_depth(depth)
        result: LineageResult = self._read(
            traversal.lineage, ref, direction, depth, kinds, self.max_lineage_nodes
        )
        return result

    def impact(self, ref: str) -> ImpactResult:
        result: ImpactResult = self._read(traversal.impact, ref, self.max_impact_nodes)
        return result

    # --- listings ----------------------------------------------------------------------------
    def _check_first(self, first: int) -> int:
        if not 1 <= first <= self.max_page_size:
            raise BadInput(f"first must be from 1 to {self.max_page_size}", field="first")
        return first

    def list_runs(
        self, flt: ListFilter | None = None, *, first: int = 50, after: str | None = None
    ) -> Page:
        page: Page = self._read(
            reads.runs_page, flt or ListFilter(), after, self._check_first(first)
        )
        return page

    def list_artifacts(
        self,
        kinds: Sequence[NodeKind] | None = None,
        flt: ListFilter | None = None,
        *,
        first: int = 50,
        after: str | None = None,
    ) -> Page:
        chosen = list(kinds) if kinds else [*sorted(ARTIFACT_KINDS), NodeKind.DATASET]
        if NodeKind.RUN in chosen:
            raise BadInput("runs are listed by `runs`, not `artifacts`", field="kind")
        page: Page = self._read(
            reads.artifacts_page, chosen, flt or ListFilter(), after, self._check_first(first)
        )
        return page

    # --- metrics -----------------------------------------------------------------------------
    def metric_keys(self, run_refs: Sequence[str]) -> dict[str, list[str]]:
        if not run_refs:
            return {}
        found: dict[str, list[str]] = self._read(reads.metric_keys, list(run_refs))
        return found

    def metric_series(self, run_ref: str, key: str) -> list[MetricPoint]:
        """One series in step order."""
        return self.metric_series_many([(run_ref, key)])[(run_ref, key)]

    def metric_series_many(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[MetricPoint]]:
        if not pairs:
            return {}
        found: dict[tuple[str, str], list[MetricPoint]] = self._read(
            reads.metric_series, list(pairs)
        )
        return found
