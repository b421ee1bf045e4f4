"""One Neo4j driver per process, opened from the settings."""

from __future__ import annotations

import neo4j

from lineagegraph.config import Settings, secret


def open_driver(settings: Settings) -> neo4j.Driver:
    password = secret(settings.neo4j_password)
    auth = (settings.neo4j_user, password) if password else None
    return neo4j.GraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth,
        max_connection_pool_size=50,
        connection_acquisition_timeout=10.0,
        connection_timeout=5.0,
        max_transaction_retry_time=10.0,
        # An empty graph makes every label "unknown": that is not worth a warning.
        notifications_disabled_classifications=["UNRECOGNIZED"],
    )
