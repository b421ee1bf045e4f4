"""What the graph says about blobs: which digests artifact nodes reference (garbage collection
keeps those), and promoting PENDING artifacts once their blob is proven (PENDING -> AVAILABLE,
never back). Statements in cypher/blobs/."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any

import neo4j

from lineagegraph.blobs.keys import blob_key
from lineagegraph.graph.catalog import Catalog

log = logging.getLogger("lineagegraph.blobs")

# A blob no artifact can name: a uri that is never an artifact's (stored ones are s3://...).
_NO_BLOB = [{"digest": "sha256:" + "0" * 64, "uri": ""}]


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


def warm_plans(driver: neo4j.Driver, database: str, catalog: Catalog) -> float:
    """Run the blob statements once against a blob nothing names, so Neo4j plans them now
    (service start-up) instead of on the first commitUpload: measured on the test stack, the
    first promote_pending took 1.3-2.9 s (planning), later ones 15-30 ms. promote_pending really
    runs (it matches nothing; the lineage lock node it MERGEs is there afterwards, as after any
    registration).
    Failures are logged, never raised: a cold plan is only slower. Returns the seconds spent."""
    started = time.perf_counter()
    try:
        with driver.session(database=database) as session:
            # the lock node first, in its own transaction: planned with it already counted, the
            # plan is not made again for that change of statistics on a later commit (Neo4j
            # replans a cached statement whose label counts moved, checked 10 s after planning)
            session.execute_write(lambda tx: tx.run(catalog["ingest.lock"].text).consume())
            session.execute_write(
                lambda tx: tx.run(
                    catalog["blobs.promote_pending"].text, {"blobs": _NO_BLOB}
                ).consume()
            )
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
            session.execute_read(
                lambda tx: tx.run(
                    catalog["blobs.referenced_digests"].text, {"blobs": _NO_BLOB}
                ).consume()
            )
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        log.warning("could not warm the blob statements' plans: %s", exc)
    return time.perf_counter() - started
