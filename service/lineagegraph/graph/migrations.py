"""Schema migrations from ``schema/neo4j/NNNN_<what>.cypher``, applied in order at start-up.

Each file holds one or more DDL statements separated by ``;``. Statements use ``IF NOT EXISTS`` so a
re-run is harmless; each applied file is recorded as a ``SchemaMigration`` node with its checksum,
and a recorded file whose checksum changed stops the start-up (migrations are append-only).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import neo4j

from lineagegraph.graph.catalog import Catalog, schema_dir

_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.cypher$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    id: str
    checksum: str
    statements: tuple[str, ...]


def load_migrations(folder: Path | None = None) -> list[Migration]:
    folder = folder or schema_dir() / "neo4j"
    migrations = []
    for path in sorted(folder.glob("*.cypher")):
        if not _FILE.match(path.name):
            raise MigrationError(f"{path}: migration files are named NNNN_<what>.cypher")
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        statements = tuple(s.strip() for s in body.split(";") if s.strip())
        if not statements:
            raise MigrationError(f"{path}: no statements")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        migrations.append(Migration(path.stem, checksum, statements))
    return migrations


def apply_migrations(driver: neo4j.Driver, database: str, catalog: Catalog) -> list[str]:
    """Apply what is not yet recorded; return the ids applied now."""
    records, _, _ = driver.execute_query(
        catalog["meta.applied_migrations"].text,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    applied = {r["id"]: r["checksum"] for r in records}
    done = []
    for migration in load_migrations():
        recorded = applied.get(migration.id)
        if recorded is not None:
            if recorded != migration.checksum:
                raise MigrationError(
                    f"migration {migration.id} changed after it was applied; add a new one instead"
                )
            continue
        for statement in migration.statements:
            # DDL runs in its own auto-commit transaction: it cannot share one with data writes.
            driver.execute_query(statement, database_=database)
        driver.execute_query(
            catalog["meta.record_migration"].text,
            id=migration.id,
            checksum=migration.checksum,
            database_=database,
        )
        done.append(migration.id)
    return done
