"""What the graph says about blobs: which digests artifact nodes reference (garbage collection
keeps those), and promoting PENDING artifacts once their blob is proven (PENDING -> AVAILABLE,
never back). Statements in cypher/blobs/."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import neo4j

from lineagegraph.blobs.keys import blob_key
from lineagegraph.graph.catalog import Catalog


def _pairs(bucket: str, digests: Collection[str]) -> list[dict[str, str]]:
    return [{"digest": d, "uri": f"s3://{bucket}/{blob_key(d)}"} for d in digests]


def referenced_digests(
    driver: neo4j.Driver, database: str, catalog: Catalog, bucket: str, digests: Collection[str]
) -> set[str]:
    """The digests of ``digests`` that any artifact node (any status) names by digest or uri."""
    if not digests:
        return set()
    query = catalog["blobs.referenced_digests"].text
    blobs = _pairs(bucket, digests)

    def work(tx: neo4j.ManagedTransaction) -> set[str]:
        return {str(row["digest"]) for row in tx.run(query, {"blobs": blobs})}

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        found: set[str] = session.execute_read(work)
    return found


def graph_references(
    driver: neo4j.Driver, database: str, catalog: Catalog, bucket: str
) -> Callable[[Collection[str]], Collection[str]]:
    """The ``referenced`` callable garbage collection asks (blobs.gc.References)."""
    return lambda batch: referenced_digests(driver, database, catalog, bucket, batch)


def promote_pending(
    driver: neo4j.Driver, database: str, catalog: Catalog, bucket: str, digests: Collection[str]
) -> list[str]:
    """Mark the PENDING stored artifacts of these (proven) blobs AVAILABLE; their refs."""
    if not digests:
        return []
    query = catalog["blobs.promote_pending"].text
    params: dict[str, Any] = {"blobs": _pairs(bucket, sorted(set(digests)))}

    def work(tx: neo4j.ManagedTransaction) -> list[str]:
        return [str(row["ref"]) for row in tx.run(query, params)]

    with driver.session(database=database) as session:
        refs: list[str] = session.execute_write(work)
    return refs
