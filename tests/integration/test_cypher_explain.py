"""Every statement in cypher/ is valid for the real server: EXPLAIN plans it without running it."""

from __future__ import annotations

import neo4j
import pytest

from lineagegraph.graph.catalog import Catalog

CATALOG = Catalog.load()


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_explain(key: str, driver: neo4j.Driver, base_settings):
    query = CATALOG[key]
    params = dict.fromkeys(query.params)
    with driver.session(database=base_settings.neo4j_database) as session:
        summary = session.run("EXPLAIN " + query.text, params).consume()
    assert summary.plan is not None, key
