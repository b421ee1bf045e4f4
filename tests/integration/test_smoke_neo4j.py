"""The Neo4j behind the tests is a real server: a round trip and a constraint violation."""

from __future__ import annotations

import uuid

import neo4j
import pytest
from neo4j.exceptions import ConstraintError

from lineagegraph.graph.catalog import Catalog


def test_cypher_round_trip_keeps_values_verbatim(clean_graph: neo4j.Driver, catalog: Catalog):
    ref = f"run:{uuid.uuid4()}"
    name = 'naïve "quoted" name\'); MATCH (n) DETACH DELETE n //'
    records, _, _ = clean_graph.execute_query(
        catalog["smoke.create_probe_run"].text, ref=ref, name=name, tags=["α", "β"]
    )
    assert records[0]["name"] == name
    assert records[0]["tags"] == ["α", "β"]
    counted, _, _ = clean_graph.execute_query(
        catalog["smoke.count_runs"].text, ref=ref, routing_=neo4j.RoutingControl.READ
    )
    assert counted[0]["n"] == 1


def test_uniqueness_constraint_is_enforced_by_the_server(
    clean_graph: neo4j.Driver, catalog: Catalog
):
    ref = f"run:{uuid.uuid4()}"
    statement = catalog["smoke.create_probe_run"].text
    clean_graph.execute_query(statement, ref=ref, name="first", tags=[])
    with pytest.raises(ConstraintError, match="already exists"):
        clean_graph.execute_query(statement, ref=ref, name="second", tags=[])
    counted, _, _ = clean_graph.execute_query(catalog["smoke.count_runs"].text, ref=ref)
    assert counted[0]["n"] == 1
