"""Every statement in cypher/ is valid for the real server: EXPLAIN plans it without running it,
and nothing in it is deprecated (what 5.26 deprecates, the Cypher 25 of the 2025+ releases
removes; tests/integration/test_neo4j_next.py plans them there too)."""

from __future__ import annotations

import neo4j
import pytest

from lineagegraph.graph.catalog import Catalog
from tests.integration.neo4j_compat import explain

CATALOG = Catalog.load()


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_explain(key: str, driver: neo4j.Driver, base_settings):
    assert explain(driver, base_settings.neo4j_database, CATALOG[key]) == []
