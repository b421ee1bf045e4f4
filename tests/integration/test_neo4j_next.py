"""The Cypher keeps working on Neo4j's calendar releases (2025+), in Cypher 5 and in Cypher 25.

The service runs on Neo4j 5.26 LTS (the session's server); the design card asks that its Cypher
stays compatible with the 2025+ releases too. This module starts a second, throw-away server of
the newest calendar release checked (``NEO4J_NEXT_VERSION`` in deploy/local/stack.py; Java 21 or
newer) with Cypher 25 as its default language, as later releases will have it, and checks that
every catalog statement plans there in both languages without a deprecation notice, that the
migrations give the same schema, and that a lineage scenario gives the same answers as on 5.26.
``LINEAGE_TEST_NEO4J_VERSION=<version> make test`` runs the whole suite on another release;
``LINEAGE_TEST_NEO4J_NEXT_VERSION`` picks the release of this module.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path
from typing import Any

import neo4j
import pytest

from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.migrations import apply_migrations, load_migrations
from lineagegraph.graph.results import Direction
from lineagegraph.graph.store import GraphStore
from tests.integration.graph_helpers import (
    consumed,
    events,
    new_run_id,
    produced,
    registered,
    started,
)
from tests.integration.neo4j_compat import deprecations, explain

CATALOG = Catalog.load()
DATABASE = "neo4j"


@pytest.fixture(scope="module")
def next_driver(stack_cache: Path) -> Iterator[neo4j.Driver]:
    """A driver for the newest calendar release, migrations applied, the graph empty."""
    from lineagegraph.cli._localstack import stack_module

    mod = stack_module()
    version = os.environ.get("LINEAGE_TEST_NEO4J_NEXT_VERSION", mod.NEO4J_NEXT_VERSION)
    with tempfile.TemporaryDirectory(prefix="lineage-test-next-") as home:
        server = mod.Neo4jServer(
            Path(home),
            mod.free_port(),
            None,
            heap="512m",
            pagecache="128m",
            cache=stack_cache,
            version=version,
            settings={"db.query.default_language": "CYPHER_25"},
        )
        try:
            server.start()
        except mod.StackError as exc:
            pytest.fail(
                f"Neo4j {version} (the Cypher compatibility check) did not start: {exc}\n"
                "`make test` installs it with Maven into .cache/; it needs Java 21 or newer "
                "(JAVA_HOME, or a JDK under /usr/lib/jvm).",
                pytrace=False,
            )
        try:
            with neo4j.GraphDatabase.driver(server.uri) as driver:
                apply_migrations(driver, DATABASE, CATALOG)
                yield driver
        finally:
            server.stop()


@pytest.mark.parametrize("language", ["CYPHER 5", "CYPHER 25"])
@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_statement_plans_on_the_next_release(
    key: str, language: str, next_driver: neo4j.Driver
):
    assert explain(next_driver, DATABASE, CATALOG[key], prefix=language + " ") == []


def _schema(driver: neo4j.Driver, database: str) -> dict[str, list[tuple[Any, ...]]]:
    """Constraints and indexes by what they are, not by how a release implements them."""
    shown = {}
    for what in ("CONSTRAINTS", "INDEXES"):
        # Cypher 5's names on both (Cypher 25 calls UNIQUENESS NODE_PROPERTY_UNIQUENESS)
        records, _, _ = driver.execute_query(f"CYPHER 5 SHOW {what}", database_=database)
        shown[what] = sorted(
            (
                # the built-in token lookup indexes are named by the server, differently per release
                "" if r["type"] == "LOOKUP" else r["name"],
                r["type"],
                r["entityType"],
                r["labelsOrTypes"],
                r["properties"],
            )
            for r in records
        )
    return shown


def test_the_migrations_make_the_same_schema(
    next_driver: neo4j.Driver, driver: neo4j.Driver, base_settings
):
    lts = _schema(driver, base_settings.neo4j_database)
    assert lts["CONSTRAINTS"], "no constraints on the 5.26 server: migrations not applied?"
    assert _schema(next_driver, DATABASE) == lts


@pytest.mark.parametrize("server", ["lts", "next"])
def test_no_migration_statement_is_deprecated(
    server: str, request: pytest.FixtureRequest, base_settings
):
    """Run again (each is IF NOT EXISTS, so nothing changes), every statement of schema/neo4j
    on both servers: none may draw a deprecation notice."""
    if server == "lts":
        on, database = request.getfixturevalue("driver"), base_settings.neo4j_database
    else:
        on, database = request.getfixturevalue("next_driver"), DATABASE
    statements = [s for migration in load_migrations() for s in migration.statements]
    assert statements
    notices = []
    for statement in statements:
        _, summary, _ = on.execute_query(statement, database_=database)
        notices += [f"{statement}: {notice}" for notice in deprecations(summary)]
    assert notices == []


def _scenario() -> list[dict[str, Any]]:
    """Two snapshots, a feature of one, a run consuming both that trains a model, a report on
    it, a child run fine-tuning the model into a second one, and a snapshot derived by a run."""
    train, tune, derive = new_run_id(), new_run_id(), new_run_id()
    return [
        registered("DATASET_SNAPSHOT", "clicks", "1"),
        registered("DATASET_SNAPSHOT", "clicks", "2"),
        registered("FEATURE_DEFINITION", "ctr", "1", sources=["dataset:clicks@1"]),
        started(derive, "derive"),
        consumed(derive, "dataset:clicks@2"),
        registered("DATASET_SNAPSHOT", "sessions", "1", produced_by=derive),
        started(train, "train"),
        consumed(train, "dataset:clicks@1"),
        consumed(train, "feature:ctr@1"),
        consumed(train, "dataset:sessions@1"),
        registered("MODEL", "ranker", "1"),
        produced(train, "model:ranker@1"),
        registered("EVALUATION_REPORT", "ranker-eval", "1", evaluates="model:ranker@1"),
        started(tune, "tune", parent_run_id=train),
        consumed(tune, "model:ranker@1"),
        registered("MODEL", "ranker", "2", produced_by=tune),
    ]


def _answers(store: GraphStore, raw: list[dict[str, Any]]) -> dict[str, Any]:
    """Impacts and lineage graphs (both directions, three depths) of the scenario, as plain
    sorted tuples (the same run ids go to both servers, so the refs are the same)."""
    results = store.apply_events(events(*raw))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    answers: dict[str, Any] = {}
    for ref in ("dataset:clicks@1", "dataset:clicks@2", "dataset:clicks", "feature:ctr@1"):
        impact = store.impact(ref)
        answers[f"impact {ref}"] = (sorted(map(astuple, impact.items)), impact.truncated)
    for ref, direction in (("dataset:clicks@1", "DOWNSTREAM"), ("model:ranker@2", "UPSTREAM")):
        for depth in (1, 2, 5):
            graph = store.lineage(ref, Direction(direction), depth)
            answers[f"lineage {ref} {direction} {depth}"] = (
                sorted(map(astuple, graph.nodes)),
                sorted(map(astuple, graph.edges)),
                graph.truncated,
            )
    return answers


def test_a_lineage_scenario_gives_the_same_answers(
    next_driver: neo4j.Driver, clean_graph: neo4j.Driver, base_settings
):
    next_driver.execute_query(CATALOG["admin.wipe_graph"].text, database_=DATABASE)
    raw = _scenario()
    lts = _answers(GraphStore(clean_graph, base_settings.neo4j_database, CATALOG), raw)
    reached = {item[0] for item in lts["impact dataset:clicks@2"][0]}
    assert {"dataset:sessions@1", "model:ranker@1", "model:ranker@2"} <= reached  # not vacuous
    assert _answers(GraphStore(next_driver, DATABASE, CATALOG), raw) == lts
