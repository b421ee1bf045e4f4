"""A GraphQL client for latency benchmarks: one keep-alive HTTP/1.1 connection, timings kept.

``stdlib`` (the default) sends each request with ``http.client`` as one write on one kept-alive
connection: its own cost is ~0.1 ms a request, so what the benchmark sees is the service and the
loopback network. ``httpx`` is the client the SDK uses; it adds ~0.5-1 ms of its own Python work
per request (measured on the 2-core box: GET /healthz 0.57 ms with http.client, 1.26 ms with
httpx), which is the client's cost, not the service's. Either way the service's own view of every
request comes back in its ``Server-Timing`` header (app.ServerTiming): ``app`` (request in ->
response headers out), ``store`` (inside the store calls) and ``wait`` (awaiting them).
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import httpx

CLIENTS = ("stdlib", "httpx")


def server_timing(header: str | None) -> dict[str, float]:
    """``app;dur=1.2, store;dur=0.8`` -> {"app": 1.2, "store": 0.8} (ms); {} without one."""
    out: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";")
        for param in rest.split(";"):
            key, _, value = param.strip().partition("=")
            if name and key == "dur":
                out[name] = float(value)
    return out


class GraphQLClient:
    def __init__(
        self, url: str, kind: str = "stdlib", timeout: float = 60.0, path: str = "/graphql"
    ) -> None:
        if kind not in CLIENTS:
            raise ValueError(f"client must be one of {CLIENTS}")
        self.kind = kind
        self.url = url.rstrip("/")
        self.last_timing: dict[str, float] = {}
        parts = urlsplit(self.url)
        self._path = (parts.path or "") + path
        self._target = f"{parts.scheme}://{parts.netloc}{self._path}"
        self._conn: http.client.HTTPConnection | None = None
        self._httpx: httpx.Client | None = None
        if kind == "stdlib":
            self._conn = http.client.HTTPConnection(
                parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
            )
        else:
            self._httpx = httpx.Client(timeout=timeout)

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        """The response body; raises on an HTTP error status or GraphQL errors."""
        payload = json.dumps({"query": query, "variables": variables}).encode()
        if self._conn is not None:
            raw, status, header = self._post(self._conn, payload)
        else:
            assert self._httpx is not None
            reply = self._httpx.post(
                self._target,
                content=payload,
                headers={"content-type": "application/json"},
            )
            raw, status, header = (
                reply.content,
                reply.status_code,
                reply.headers.get("server-timing"),
            )
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {raw[:300]!r}")
        self.last_timing = server_timing(header)
        body: dict[str, Any] = json.loads(raw)
        if body.get("errors"):
            raise RuntimeError(f"GraphQL error: {body['errors']}")
        return body

    def _post(
        self, conn: http.client.HTTPConnection, payload: bytes
    ) -> tuple[bytes, int, str | None]:
        """POST once more on a fresh connection when the server closed the kept-alive one:
        uvicorn closes a connection idle for 5 s, and a bench's other calls (raw reads, another
        client) can take that long on a cold server. The queries are reads: safe to resend."""
        try:
            return self._exchange(conn, payload)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()  # the next request connects again
            return self._exchange(conn, payload)

    def _exchange(
        self, conn: http.client.HTTPConnection, payload: bytes
    ) -> tuple[bytes, int, str | None]:
        conn.request("POST", self._path, body=payload, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.read(), response.status, response.getheader("server-timing")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._httpx is not None:
            self._httpx.close()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
