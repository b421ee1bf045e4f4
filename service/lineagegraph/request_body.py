"""Request bodies read whole, never past a limit (``/graphql`` and the OpenLineage endpoint).

A body over the limit is refused before it is buffered: a declared ``Content-Length`` is checked
first, a body without one is counted as it streams. What is left of it is still read and dropped
(up to :data:`DRAIN_LIMIT`), so that a client still sending gets the refusal, not a reset
connection.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

from lineagegraph.errors import BadInput

#: beyond this much of a refused body the connection is not worth keeping
DRAIN_LIMIT = 64 * 1024**2


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


def too_large(limit: int, setting: str, what: str = "request body") -> BadInput:
    """The client's error for a body over ``limit``: BAD_INPUT on ``body``, naming the setting."""
    return BadInput(
        f"the {what} is larger than the limit of {limit} bytes (setting {setting})",
        field="body",
        limit=limit,
    )


async def _drain(receive: Receive, seen: int) -> None:
    while seen <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _declared(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def read_capped(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or :class:`BodyTooLarge` once it is over ``limit`` bytes (starlette's
    ``ClientDisconnect`` when the client goes away first). Plain ASGI, no Request object: it
    runs before every ``/graphql`` POST."""
    declared = _declared(scope)
    if declared is not None and declared > limit:
        await _drain(receive, 0)
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if size > limit:
            if more:
                await _drain(receive, size)
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not more:
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out a body already read, then whatever comes next (for an app
    that reads the body itself)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
