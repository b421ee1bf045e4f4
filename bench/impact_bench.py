"""Impact report and deprecated-upstream benchmark against the plain impact closure.

    .venv/bin/python -m bench.impact_bench [--chain 2000] [--width 4] [--layers 30,200]

Starts a throw-away Neo4j (deploy/local), builds two graph shapes through the store's ingest
and times, on each, with the root snapshot deprecated:

- ``impact``: the existing ``impact(ref)`` closure (cypher/impact/closure), the baseline;
- ``impactReport``: the closure plus per-item producer, tags, deployments and a shortest path
  from the root (graph/impact_report.py: 2 statements in one read transaction);
- ``deprecatedUpstream``: from the deepest node, the deprecated artifacts upstream with a path
  (cypher/deprecation/upstream: pruning expand + one shortestPath).

Shapes: a lattice (``--width`` runs per layer, each consuming every snapshot of the previous
layer, producing one snapshot; the shape MODEL.md says defeats path enumeration) and a chain of
daily snapshots (snapshot -> run -> next snapshot). Each is timed ``--repeat`` times, the median
kept, and the table gives the ratio to ``impact`` on the same graph, plus the db hits of one
PROFILE run of each statement.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import neo4j

from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.deprecation import DeprecationStore
from lineagegraph.graph.impact_report import impact_report
from lineagegraph.graph.migrations import apply_migrations
from lineagegraph.graph.store import GraphStore
from lineagegraph.models import (
    ArtifactConsumed,
    ArtifactRegistered,
    ArtifactSpec,
    IngestEvent,
    RunStarted,
)
from lineagegraph.refs import NodeKind

ROOT = Path(__file__).resolve().parents[1]
BATCH = 2000


@contextmanager
def neo4j_stack() -> Iterator[tuple[neo4j.Driver, str]]:
    from lineagegraph.cli._localstack import stack_module

    with (
        tempfile.TemporaryDirectory(prefix="lineage-impact-bench-") as work,
        stack_module().throwaway_stack(Path(work) / "stack", ROOT / ".cache") as stack,
    ):
        driver = neo4j.GraphDatabase.driver(
            stack.neo4j.uri, auth=None, notifications_disabled_classifications=["UNRECOGNIZED"]
        )
        try:
            yield driver, "neo4j"
        finally:
            driver.close()


def snapshot(name: str, version: str, run: uuid.UUID | None) -> ArtifactRegistered:
    spec = ArtifactSpec(
        kind=NodeKind.DATASET_SNAPSHOT,
        name=name,
        version=version,
        digest="sha256:" + uuid.uuid4().hex * 2,
    )
    return ArtifactRegistered(artifact=spec, produced_by=run)


def apply(store: GraphStore, events: list[IngestEvent]) -> None:
    for start in range(0, len(events), BATCH):
        results = store.apply_events(events[start : start + BATCH])
        bad = [r for r in results if not r.ok]
        if bad:
            raise RuntimeError(f"ingest refused: {bad[0]}")


def lattice(store: GraphStore, name: str, width: int, layers: int) -> tuple[str, str]:
    """Layer 0: one root snapshot; each layer: `width` runs reading every snapshot of the layer
    before, each producing one snapshot. Returns (root ref, a deepest snapshot ref)."""
    events: list[IngestEvent] = [snapshot(name, "0-0", None)]
    previous = [f"dataset:{name}@0-0"]
    for layer in range(1, layers + 1):
        current = []
        for j in range(width):
            run = uuid.uuid4()
            events.append(RunStarted(run_id=run, name=f"{name}-{layer}-{j}"))
            events += [ArtifactConsumed(run_id=run, ref=ref) for ref in previous]
            events.append(snapshot(name, f"{layer}-{j}", run))
            current.append(f"dataset:{name}@{layer}-{j}")
        previous = current
    apply(store, events)
    return f"dataset:{name}@0-0", previous[-1]


def chain(store: GraphStore, name: str, length: int) -> tuple[str, str]:
    events: list[IngestEvent] = [snapshot(name, "0", None)]
    for i in range(1, length + 1):
        run = uuid.uuid4()
        events.append(RunStarted(run_id=run, name=f"{name}-{i}"))
        events.append(ArtifactConsumed(run_id=run, ref=f"dataset:{name}@{i - 1}"))
        events.append(snapshot(name, str(i), run))
    apply(store, events)
    return f"dataset:{name}@0", f"dataset:{name}@{length}"


def median_seconds(call: Callable[[], Any], repeat: int) -> float:
    call()  # warm the page cache and the query plan
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def db_hits(driver: neo4j.Driver, text: str, params: dict[str, Any]) -> int:
    with driver.session(database="neo4j") as session:
        result = session.run("PROFILE " + text, params)
        list(result)  # profiler stats exist only once the rows are materialised
        summary = result.consume()

    def total(plan: Any) -> int:
        return int(plan.get("dbHits", 0)) + sum(total(c) for c in plan.get("children", []))

    return total(summary.profile or {})


def root_ids(driver: neo4j.Driver, catalog: Catalog, ref: str) -> list[str]:
    with driver.session(database="neo4j") as session:
        rows = session.run(catalog["lineage.roots"].text, ref=ref).data()
    return [row["id"] for row in rows if row["id"] is not None]


def measure(
    driver: neo4j.Driver, store: GraphStore, shape: str, root: str, leaf: str, repeat: int
) -> list[list[str]]:
    print(f"measuring {shape}", file=sys.stderr)
    catalog = store.catalog
    deprecations = DeprecationStore.of(store)
    deprecations.deprecate(root, reason="bench", by="bench")
    closure = store.impact(root)
    report = impact_report(store, root)
    upstream = deprecations.upstream([leaf])[leaf]
    assert len(report.items) == closure.total, (len(report.items), closure.total)
    assert [u.info.ref for u in upstream] == [root], upstream
    deepest = max(item.depth for item in report.items)
    base = median_seconds(lambda: store.impact(root), repeat)
    rows = []
    for label, call, key, params in (
        ("impact", lambda: store.impact(root), "impact.closure", {"ref": root, "limit": 100_001}),
        (
            "impactReport",
            lambda: impact_report(store, root),
            "impact.report_nodes",
            {"ids": root_ids(driver, catalog, root), "limit": 100_001},
        ),
        (
            "deprecatedUpstream",
            lambda: deprecations.upstream([leaf]),
            "deprecation.upstream",
            {"refs": [leaf]},
        ),
    ):
        seconds = base if label == "impact" else median_seconds(call, repeat)
        hits = db_hits(driver, catalog[key].text, params)
        rows.append(
            [
                shape,
                str(closure.total),
                str(deepest),
                label,
                f"{seconds * 1000:.1f}",
                f"{seconds / base:.2f}x",
                f"{hits:,} ({key})",
            ]
        )
    return rows


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chain", type=int, default=2000, help="snapshots in the chain")
    parser.add_argument("--width", type=int, default=4, help="runs per lattice layer")
    parser.add_argument("--layers", default="30,200", help="lattice depths, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rows: list[list[str]] = []
    with neo4j_stack() as (driver, database):
        catalog = Catalog.load()
        apply_migrations(driver, database, catalog)
        store = GraphStore(driver, database, catalog)
        for layers in (int(x) for x in args.layers.split(",")):
            root, leaf = lattice(store, f"lattice{layers}", args.width, layers)
            rows += measure(
                driver, store, f"lattice {args.width}x{layers}", root, leaf, args.repeat
            )
        root, leaf = chain(store, "chain", args.chain)
        rows += measure(driver, store, f"chain {args.chain}", root, leaf, args.repeat)
    headers = ["GRAPH", "ITEMS", "DEPTH", "QUERY", "MEDIAN MS", "VS IMPACT", "DB HITS (statement)"]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
