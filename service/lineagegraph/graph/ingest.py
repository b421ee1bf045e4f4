"""Applying a batch of ingest events in one write transaction.

1. Batches that can break a lineage rule take the lineage lock first (cypher/ingest/lock).
2. Read what the planner needs, in a handful of UNWIND queries for the whole batch.
3. Plan (graph/ingest_plan.py, pure): decide every event, in order, and build the write rows.
   The plan is made assuming that no lineage edge of the batch is stored and no stored path
   joins their ends; the store then reads those facts for every edge the plan looked at, and
   plans again only when they differ (repeated if the new plan looks at other edges).
4. Write: the batch's nodes in one statement, its edges in a second, then one statement per kind
   of update (finishes, tags, parameters, metrics), each sent without waiting for the last.
The transaction function is pure apart from Neo4j, so the driver may retry it on transient errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import neo4j

from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.deprecation import describe, info_from_node
from lineagegraph.graph.ingest_plan import (
    Edge,
    GraphFacts,
    KnownNode,
    Needs,
    Plan,
    needs_locking,
    needs_of,
    parse_ref,
    plan_batch,
)
from lineagegraph.graph.records import dumps
from lineagegraph.graph.results import EventResult
from lineagegraph.models import IngestEvent
from lineagegraph.refs import ARTIFACT_KINDS, NodeKind, artifact_ref

_MAX_PLANNING_ROUNDS = 8


def metric_series_id(run: str, key: str) -> str:
    """A series' unique id: run refs have a fixed shape without '/', so this is unambiguous."""
    return f"{run}/{key}"


class Ingestor:
    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        catalog: Catalog,
        *,
        block_deprecated: bool = False,
    ) -> None:
        self._driver = driver
        self._database = database
        self._catalog = catalog
        self._block_deprecated = block_deprecated

    def apply(self, events: Sequence[IngestEvent]) -> list[EventResult]:
        if not events:
            return []
        with self._driver.session(database=self._database) as session:
            results: list[EventResult] = session.execute_write(self._apply, list(events))
        return results

    # --- the transaction function ------------------------------------------------------------
    def _apply(self, tx: neo4j.ManagedTransaction, events: list[IngestEvent]) -> list[EventResult]:
        now = datetime.now(UTC)
        if needs_locking(events):
            self._run(tx, "ingest.lock")
        facts = self._read_facts(tx, needs_of(events))
        block = self._block_deprecated
        # Plan assuming that no edge of the batch is stored yet and that no stored path joins
        # their ends (true for most batches), then read those facts for every edge the plan
        # looked at; only when they differ from the assumption (or a new plan looks at other
        # edges) plan again. The plan kept was made with the stored facts of every edge it
        # looked at.
        facts.cycles_known = True
        plan = plan_batch(events, facts, now, block_deprecated=block)
        read: set[Edge] = set()
        rounds = 0
        while not plan.considered <= read:
            rounds += 1
            if rounds > _MAX_PLANNING_ROUNDS:  # pragma: no cover - needs a pathological batch
                raise RuntimeError("lineage edge planning did not settle")
            read |= plan.considered
            assumed = (set(facts.existing_edges), dict(facts.reach))
            self._read_edge_facts(tx, facts, read)
            if (facts.existing_edges, facts.reach) != assumed:
                plan = plan_batch(events, facts, now, block_deprecated=block)
        self._write(tx, plan)
        return plan.results

    def _run(self, tx: neo4j.ManagedTransaction, key: str, **params: Any) -> list[dict[str, Any]]:
        return tx.run(self._catalog[key].text, params).data()

    # --- reads ---------------------------------------------------------------------------------
    def _read_facts(self, tx: neo4j.ManagedTransaction, needs: Needs) -> GraphFacts:
        facts = GraphFacts()
        refs = set(needs.refs)
        if needs.datasets:
            for row in self._run(tx, "ingest.latest_snapshots", refs=sorted(needs.datasets)):
                facts.latest[row["ref"]] = row["latest"]
                if row["latest"]:
                    refs.add(row["latest"])
        if needs.bindings:
            for row in self._run(tx, "ingest.consume_bindings", rows=needs.bindings):
                facts.consume_binding[row["eventId"]] = row["ref"]
                refs.add(row["ref"])
        if needs.versions:
            for row in self._run(tx, "ingest.version_numbers", rows=needs.versions):
                key = (row["kind"], row["name"])
                facts.highest_version[key] = max(
                    facts.highest_version.get(key, 0), int(row["highest"] or 0)
                )
                if row["mine"] is not None:
                    facts.version_by_event[row["eventId"]] = row["mine"]
                    refs.add(artifact_ref(NodeKind(row["kind"]), row["name"], row["mine"]))
        if refs:
            for row in self._run(tx, "ingest.node_states", refs=sorted(refs)):
                known = facts.nodes[row["ref"]] = _known(row)
                info = info_from_node(row) if known.kind in ARTIFACT_KINDS else None
                if info is not None:
                    facts.deprecated[known.ref] = describe(info)
        return facts

    def _read_edge_facts(
        self, tx: neo4j.ManagedTransaction, facts: GraphFacts, candidates: set[Edge]
    ) -> None:
        stored = facts.nodes.keys()
        # Only an edge between two stored nodes can exist already.
        pairs = [{"from": u, "to": v} for u, v in sorted(candidates) if u in stored and v in stored]
        existing: set[Edge] = set()
        if pairs:
            rows = self._run(tx, "ingest.flow_edges", pairs=pairs)
            existing = {(row["from"], row["to"]) for row in rows}
        # A path through the stored graph runs from the head of one new edge to the tail of
        # another (or the same); nodes new in this batch have no stored edges.
        new = [edge for edge in candidates if edge not in existing]
        heads = sorted({v for _, v in new if v in stored})
        tails = sorted({u for u, _ in new if u in stored})
        reach: dict[str, set[str]] = {}
        if heads and tails:
            for row in self._run(tx, "ingest.reach", heads=heads, tails=tails):
                reach.setdefault(row["head"], set()).add(row["tail"])
        facts.existing_edges = existing
        facts.reach = reach
        facts.cycles_known = True

    # --- writes --------------------------------------------------------------------------------
    def _write(self, tx: neo4j.ManagedTransaction, plan: Plan) -> None:
        """Two grouped statements (every node, then every edge) and one per kind of update.

        Not one statement for all: Neo4j plans a statement again when the graph's statistics
        drift, and a 14-part statement took 2-10 s to plan on each such occasion. Each group
        always gets every one of its lists (empty ones too), so its parameter shape and cached
        plan stay the same. Pipelined: a statement is sent without waiting for its rows (the
        driver reads them before the next statement's answer, and all of them before the
        commit), so the rows of the next statement are built while Neo4j writes."""
        registrations = plan.registrations
        nodes = {
            "runs": [_run_row(row) for row in plan.runs.values()],
            "snapshots": registrations.get(NodeKind.DATASET_SNAPSHOT, []),
            "features": registrations.get(NodeKind.FEATURE_DEFINITION, []),
            "models": registrations.get(NodeKind.MODEL, []),
            "reports": registrations.get(NodeKind.EVALUATION_REPORT, []),
        }
        self._send(tx, "ingest.write_nodes", nodes)
        links = {
            "parents": plan.parents,
            "produced": [{"run": r, "ref": a} for r, a in sorted(plan.produced)],
            "derived": [{"feature": f, "source": s} for f, s in sorted(plan.derived)],
            "evaluates": [{"report": r, "model": m} for r, m in sorted(plan.evaluates)],
            "consumed": [plan.consumed[k] for k in sorted(plan.consumed)],
        }
        self._send(tx, "ingest.write_links", links)
        self._send(tx, "ingest.finish_runs", {"rows": list(plan.finishes.values())})
        tags = [
            {"ref": r, "keys": list(t), "values": list(t.values())} for r, t in plan.tags.items()
        ]
        self._send(tx, "ingest.merge_tags", {"rows": tags})
        params = [
            {"ref": r, "keys": list(p), "values": [dumps(v) for v in p.values()]}
            for r, p in plan.params.items()
        ]
        self._send(tx, "ingest.merge_params", {"rows": params})
        self._send(tx, "ingest.upsert_metrics", {"rows": _metric_rows(plan)})

    def _send(
        self, tx: neo4j.ManagedTransaction, key: str, lists: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Run a write statement over these row lists unless all are empty; its result is left
        for the driver to read (before the next statement's answer or the commit), so a failing
        write still fails the transaction."""
        if any(lists.values()):
            tx.run(self._catalog[key].text, {k: _wire(rows) for k, rows in lists.items()})


_RUN_FIELDS = frozenset({"ref", "name", "time", "createdAt"})


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    """A planned run as upsert_runs takes it: the provenance given (non-null) as one map."""
    props = {k: v for k, v in row.items() if k not in _RUN_FIELDS and v is not None}
    return {**{k: row[k] for k in _RUN_FIELDS}, "props": props}


def _wire(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write rows as sent: datetimes as ISO 8601 text (the statements store ``datetime(text)``,
    the same instant and offset; the driver's own encoding of a Python datetime costs ~0.1 ms
    each, a third of a batch's time) and null fields left out (a missing key reads as null)."""
    return [
        {k: _iso(v) if isinstance(v, datetime) else v for k, v in row.items() if v is not None}
        for row in rows
    ]


def _iso(moment: datetime) -> str:
    """ISO text of an instant; a naive time is taken as UTC, as the read side does
    (records.to_python), so that every stored time is a comparable DateTime."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _known(row: dict[str, Any]) -> KnownNode:
    kind = NodeKind(row["kind"]) if row["kind"] else parse_ref(row["ref"]).kind
    producers = sorted(row["producers"] or [])
    parents = sorted(row["parents"] or [])
    evaluates = sorted(row["evaluates"] or [])
    return KnownNode(
        ref=row["ref"],
        kind=kind,
        digest=row["digest"],
        status=row["status"],
        producer=producers[0] if producers else None,
        sources=frozenset(row["sources"] or []),
        evaluates=evaluates[0] if evaluates else None,
        parent=parents[0] if parents else None,
    )


def _metric_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = []
    for (run, key), points in plan.metrics.items():
        steps = sorted(points)
        rows.append(
            {
                "run": run,
                "key": key,
                "id": metric_series_id(run, key),
                "steps": steps,
                "values": [points[s][0] for s in steps],
                "times": [points[s][1] for s in steps],
            }
        )
    return rows
