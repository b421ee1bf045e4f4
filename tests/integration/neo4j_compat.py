"""What the Cypher compatibility tests share: planning a catalog statement, its deprecations."""

from __future__ import annotations

import neo4j

from lineagegraph.graph.catalog import Query

# GQL status codes of a deprecated feature (01N00 deprecated, 01N01 with a replacement, 01N02
# without one): what works today and is removed in a later Cypher version.
DEPRECATION = "01N0"


def explain(driver: neo4j.Driver, database: str, query: Query, prefix: str = "") -> list[str]:
    """Plan ``query`` without running it (every parameter null); its deprecation notices."""
    with driver.session(database=database) as session:
        result = session.run(prefix + "EXPLAIN " + query.text, dict.fromkeys(query.params))
        summary = result.consume()
    assert summary.plan is not None, query.key
    return deprecations(summary)


def deprecations(summary: neo4j.ResultSummary) -> list[str]:
    """The deprecation notices among a statement's GQL statuses, as text."""
    return [
        f"{status.gql_status}: {status.status_description}"
        for status in summary.gql_status_objects
        if status.gql_status.startswith(DEPRECATION)
    ]
