"""Who a request is: the Bearer token checked against the stored hashes, or nobody.

With auth off (allowed only on a loopback host, config.py refuses otherwise) every request acts as
a local admin. Verified tokens are cached for a few seconds so a busy client costs one index seek
per token per interval, not per request; a revoked token stops working within that interval.
Also used by the OpenLineage endpoint (write scope).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from lineagegraph.errors import Forbidden, Unauthenticated
from lineagegraph.graph.tokens import Principal, Scope, TokenStore, hash_token

LOCAL = Principal("local (auth disabled)", Scope.ADMIN)
CACHE_SECONDS = 10.0
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    """The outcome of authenticating one request."""

    principal: Principal | None
    problem: str | None = None  # why there is no principal, for the UNAUTHENTICATED message

    def require(self, needed: Scope) -> Principal:
        if self.principal is None:
            raise Unauthenticated(self.problem or "an API token is required")
        if not self.principal.allows(needed):
            raise Forbidden(
                f"this needs the {needed.value} scope; token {self.principal.name!r} has "
                f"{self.principal.scope.value}"
            )
        return self.principal


_UNKNOWN = Identity(None, "unknown or revoked API token")


class Authenticator:
    def __init__(self, tokens: TokenStore | None, enabled: bool) -> None:
        self._tokens = tokens
        self._enabled = enabled
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> Identity:
        """Blocking (may query Neo4j): call it from a worker thread in async code."""
        known = self.known(authorization)
        if known is not None:
            return known
        principal = self._verify(self._token_of(authorization))
        if principal is None:
            return Identity(None, "unknown or revoked API token")
        return Identity(principal)

    def known(self, authorization: str | None) -> Identity | None:
        """The identity when it is known without Neo4j (auth off, a missing or malformed header,
        a token verified within CACHE_SECONDS), else None: then call ``authenticate``. Never
        blocks, so async code answers the common case without a worker-thread hop."""
        if not self._enabled:
            return Identity(LOCAL)
        if not authorization:
            return Identity(None, "an API token is required: send Authorization: Bearer <token>")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Identity(None, "the Authorization header must read: Bearer <token>")
        with self._lock:
            hit = self._cache.get(hash_token(token.strip()))
        if hit is None or time.monotonic() - hit[0] >= CACHE_SECONDS:
            return None
        principal = hit[1]
        return Identity(principal) if principal is not None else _UNKNOWN

    @staticmethod
    def _token_of(authorization: str | None) -> str:
        return (authorization or "").strip().partition(" ")[2].strip()

    def _verify(self, token: str) -> Principal | None:
        key = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        principal = self._tokens.verify(token) if self._tokens is not None else None
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (now, principal)
        return principal
