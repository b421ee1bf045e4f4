"""API tokens: created with a scope, stored as the SHA-256 of their secret, shown once.

A token reads ``lg_<id>_<secret>``: the id names it (for listing and revoking), the secret is 32
random bytes. 256 random bits need no slow password hash: SHA-256 makes the stored value useless
to whoever reads the database, and the lookup is one unique-index seek.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import neo4j

from lineagegraph.errors import BadInput
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.records import to_python

PREFIX = "lg_"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Scope) -> bool:
        """admin covers write, write covers read."""
        return self.rank >= needed.rank


_RANK = {Scope.READ: 1, Scope.WRITE: 2, Scope.ADMIN: 3}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as."""

    name: str
    scope: Scope
    token_id: str | None = None

    def allows(self, needed: Scope) -> bool:
        return self.scope.allows(needed)


@dataclass(frozen=True, slots=True)
class NewToken:
    id: str
    name: str
    scope: Scope
    secret: str  # the whole token text; only ever shown once


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, driver: neo4j.Driver, database: str, catalog: Catalog) -> None:
        self._driver = driver
        self._database = database
        self._catalog = catalog

    def _query(self, key: str, **params: Any) -> list[dict[str, Any]]:
        query = self._catalog[key]
        routing = neo4j.RoutingControl.READ if query.mode == "read" else neo4j.RoutingControl.WRITE
        records, _, _ = self._driver.execute_query(
            query.text, params, database_=self._database, routing_=routing
        )
        return [record.data() for record in records]

    def create(self, scope: Scope | str, name: str | None = None) -> NewToken:
        try:
            chosen = Scope(scope)
        except ValueError:
            raise BadInput(
                f"scope must be read, write or admin, not {scope!r}", field="scope"
            ) from None
        token_id = secrets.token_hex(6)
        label = name or f"{chosen.value}-{token_id}"
        if len(label) > 200:
            raise BadInput("token names are at most 200 characters", field="name")
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        self._query(
            "tokens.create_token",
            id=token_id,
            name=label,
            scope=chosen.value,
            hash=hash_token(secret),
            now=datetime.now(UTC),
        )
        return NewToken(token_id, label, chosen, secret)

    def verify(self, token: str) -> Principal | None:
        """The principal a presented token stands for, or None when unknown or revoked."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        rows = self._query("tokens.token_by_hash", hash=hash_token(token))
        if not rows:
            return None
        row = rows[0]
        return Principal(row["name"], Scope(row["scope"]), row["id"])

    def list(self) -> list[dict[str, Any]]:
        return [to_python(row) for row in self._query("tokens.list_tokens")]

    def revoke(self, token_id: str) -> bool:
        return bool(self._query("tokens.revoke_token", id=token_id, now=datetime.now(UTC)))
