"""request_body.read_capped on plain ASGI messages: assembled, refused, drained, disconnected."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive

from lineagegraph import request_body
from lineagegraph.request_body import BodyTooLarge, read_capped, replaying


def _receiver(chunks: Iterable[bytes], then: Message | None = None) -> tuple[Receive, list[int]]:
    """A receive handing out ``chunks`` as one body, then ``then``; counts what was taken."""
    parts = list(chunks)
    taken = [0]

    async def receive() -> Message:
        if taken[0] < len(parts):
            taken[0] += 1
            more = taken[0] < len(parts)
            return {"type": "http.request", "body": parts[taken[0] - 1], "more_body": more}
        assert then is not None, "read past the end of the body"
        return then

    return receive, taken


def _scope(length: int | None = None) -> dict[str, object]:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "headers": headers}


def test_a_body_in_chunks_is_assembled_and_replayed() -> None:
    receive, _ = _receiver([b'{"a":', b"1", b"}"])
    body = asyncio.run(read_capped(_scope(), receive, 1024))
    assert body == b'{"a":1}'
    disconnect: Message = {"type": "http.disconnect"}
    replay = replaying(body, _receiver([], disconnect)[0])

    async def twice() -> tuple[Message, Message]:
        return await replay(), await replay()

    first, second = asyncio.run(twice())
    assert first == {"type": "http.request", "body": body, "more_body": False}
    assert second == disconnect  # then whatever the server sends next


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_over_the_limit_is_refused_and_drained(declared: bool) -> None:
    chunks = [b"x" * 100] * 5
    receive, taken = _receiver(chunks)
    scope = _scope(500 if declared else None)
    with pytest.raises(BodyTooLarge) as refused:
        asyncio.run(read_capped(scope, receive, 250))
    assert refused.value.limit == 250
    assert taken[0] == 5  # read to its end, so the client sees the refusal


def test_the_drain_stops_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(request_body, "DRAIN_LIMIT", 1000)
    receive, taken = _receiver([b"x" * 100] * 50)
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_capped(_scope(5000), receive, 250))
    assert 10 <= taken[0] <= 11  # ~1,000 bytes drained, not the 5,000 sent


def test_a_client_gone_mid_body_is_a_disconnect() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"x" * 10, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    with pytest.raises(ClientDisconnect):
        asyncio.run(read_capped(_scope(), receive, 1024))
