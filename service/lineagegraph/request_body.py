"""Request bodies read whole, never past a limit (``/graphql`` and the OpenLineage endpoint).

A body over the limit is refused before it is buffered: a declared ``Content-Length`` is checked
first, a body without one is counted as it streams. What is left of it is still read and dropped
(up to :data:`DRAIN_LIMIT`), so that a client still sending gets the refusal, not a reset
connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.types import Message, Receive

#: beyond this much of a refused body the connection is not worth keeping
DRAIN_LIMIT = 64 * 1024**2


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


async def _drain(stream: AsyncIterator[bytes], seen: int) -> None:
    async for chunk in stream:
        seen += len(chunk)
        if seen > DRAIN_LIMIT:
            return


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body, or :class:`BodyTooLarge` once it is over ``limit`` bytes (starlette's
    ``ClientDisconnect`` when the client goes away first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await _drain(request.stream(), 0)
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    stream = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            await _drain(stream, size)
            raise BodyTooLarge(limit)
        chunks.append(chunk)
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
