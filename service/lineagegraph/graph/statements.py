"""What the graph's side stores share: one driver, database and statement catalog, and a named
statement run as a read or a write transaction returning its rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import neo4j

from lineagegraph.graph.catalog import Catalog

if TYPE_CHECKING:
    from lineagegraph.graph.store import GraphStore


def read_rows(
    driver: neo4j.Driver, database: str, text: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
        return tx.run(text, params).data()

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        rows: list[dict[str, Any]] = session.execute_read(work)
    return rows


def write_rows(
    driver: neo4j.Driver, database: str, text: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
        return tx.run(text, params).data()

    with driver.session(database=database) as session:
        rows: list[dict[str, Any]] = session.execute_write(work)
    return rows


class StatementStore:
    def __init__(self, driver: neo4j.Driver, database: str, catalog: Catalog) -> None:
        self.driver = driver
        self.database = database
        self.catalog = catalog

    @classmethod
    def of(cls, graph: GraphStore) -> Self:
        return cls(graph.driver, graph.database, graph.catalog)

    def _read(self, key: str, **params: Any) -> list[dict[str, Any]]:
        return read_rows(self.driver, self.database, self.catalog[key].text, params)

    def _write(self, key: str, **params: Any) -> list[dict[str, Any]]:
        return write_rows(self.driver, self.database, self.catalog[key].text, params)
