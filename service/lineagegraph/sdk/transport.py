"""How the SDK talks to the service: the batched GraphQL ``ingest`` mutation and read queries.

The sender only needs ``Transport.ingest``; tests inject any object with that method (or an
``httpx.MockTransport`` under ``HttpTransport``). Failures are sorted into what to retry
(``TransientError``: network, 5xx, 429, masked internal errors), what to split and resend
(``BatchRejected``: a whole-batch BAD_INPUT or a body too large) and per-event answers, which are
final.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from lineagegraph.errors import LineageError, Unavailable, error_from_code

INGEST_MUTATION = (
    "mutation Ingest($input: IngestInput!) { ingest(input: $input) "
    "{ accepted results { eventId ok ref code message field warning } } }"
)
_RETRY_CODES = frozenset({"INTERNAL", "UNAVAILABLE"})
_AUTH_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})


@dataclass(frozen=True, slots=True)
class EventResult:
    event_id: str
    ok: bool
    ref: str | None = None
    code: str | None = None
    message: str | None = None
    field: str | None = None
    warning: str | None = None  # accepted, with something to tell (a deprecated input)


class TransientError(Exception):
    """Worth retrying later: the service is unreachable, overloaded or failed internally."""


class AuthError(TransientError):
    """The token is missing or lacks the write scope: kept spooled until a good token is set."""


class BatchRejected(Exception):
    """The service refused the batch as a whole; resending it in halves isolates the culprit."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Transport(Protocol):
    def ingest(self, events: Sequence[bytes]) -> list[EventResult]:
        """Send JSON-encoded events in one request; one result per event."""
        ...

    def close(self) -> None: ...


def graphql_endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/graphql") else url + "/graphql"


def _first_error(errors: list[dict[str, Any]]) -> tuple[str, str, str | None]:
    first = errors[0] if errors else {}
    ext = first.get("extensions") or {}
    return str(ext.get("code") or "INTERNAL"), str(first.get("message", "")), ext.get("field")


class HttpTransport:
    """GraphQL over httpx. ``http_transport`` lets tests plug in ``httpx.MockTransport``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = graphql_endpoint(url)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=headers, timeout=timeout, transport=http_transport, follow_redirects=False
        )

    # --- ingest, used by the sender thread -------------------------------------------------
    def ingest(self, events: Sequence[bytes]) -> list[EventResult]:
        # The events are already JSON: splice them into the body rather than re-encode them.
        body = b"".join(
            (
                b'{"query":',
                json.dumps(INGEST_MUTATION).encode(),
                b',"variables":{"input":{"events":[',
                b",".join(events),
                b"]}}}",
            )
        )
        try:
            response = self._http.post(self.endpoint, content=body)
        except httpx.HTTPError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        payload = self._decode(response)
        if payload.get("errors"):
            code, message, field = _first_error(payload["errors"])
            if code in _AUTH_CODES:
                raise AuthError(f"{code}: {message}")
            if code in _RETRY_CODES:
                raise TransientError(f"{code}: {message}")
            raise BatchRejected(code, message, field)
        try:
            rows = payload["data"]["ingest"]["results"]
            return [
                EventResult(
                    str(r["eventId"]),
                    bool(r["ok"]),
                    r.get("ref"),
                    r.get("code"),
                    r.get("message"),
                    r.get("field"),
                    r.get("warning"),
                )
                for r in rows
            ]
        except (KeyError, TypeError) as exc:
            raise TransientError(f"unexpected ingest response: {exc!r}") from None

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise AuthError(f"HTTP {status}: {response.text[:200]}")
        if status == 413:
            raise BatchRejected("TOO_LARGE", "request body too large")
        if status == 429 or status >= 500:
            raise TransientError(f"HTTP {status}: {response.text[:200]}")
        try:
            payload = response.json()
        except ValueError:
            raise TransientError(f"HTTP {status}: not JSON: {response.text[:200]}") from None
        if not isinstance(payload, dict):
            raise TransientError(f"HTTP {status}: unexpected body")
        if status >= 400 and not payload.get("errors"):
            raise BatchRejected(f"HTTP_{status}", response.text[:200])
        return payload

    # --- reads, called from the user's thread ----------------------------------------------
    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL query; errors come back as the typed LineageError the server named."""
        try:
            response = self._http.post(
                self.endpoint, json={"query": query, "variables": variables or {}}
            )
            payload = self._decode(response)
        except (httpx.HTTPError, TransientError, BatchRejected) as exc:
            raise Unavailable(f"the service at {self.endpoint} did not answer: {exc}") from None
        if payload.get("errors"):
            code, message, field = _first_error(payload["errors"])
            details: dict[str, Any] = {"field": field} if field else {}
            raise error_from_code(code, message, **details)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise LineageError("the service answered without data")
        return data

    def close(self) -> None:
        self._http.close()
