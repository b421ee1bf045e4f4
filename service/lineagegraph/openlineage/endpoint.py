"""``POST /api/v1/lineage``: one OpenLineage event per request, as the official clients send it.

The body is JSON (``Content-Type: application/json``), optionally gzip-compressed
(``Content-Encoding: gzip``), at most ``openlineage_max_event_bytes`` before and after
decompression. Everything is checked before anything is written: a bad body, a bad event or a
too-large one is a 400 naming what is wrong, and the graph is left as it was. Success is 201 with
the refs the event touched. Errors are ``{"error": {"code", "message", "field"?}}``.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lineagegraph.api.auth import Authenticator
from lineagegraph.errors import BadInput, ErrorCode, LineageError, Unavailable
from lineagegraph.graph.openlineage_store import OpenLineageStore
from lineagegraph.graph.tokens import Scope, TokenStore
from lineagegraph.openlineage.mapping import LineagePlan, plan_event
from lineagegraph.openlineage.spec import parse_event
from lineagegraph.request_body import BodyTooLarge, read_capped, too_large

log = logging.getLogger("lineagegraph.openlineage")
PATH = "/api/v1/lineage"
_LIMIT_SETTING = "LINEAGE_OPENLINEAGE_MAX_EVENT_BYTES"
_STATUS = {
    ErrorCode.BAD_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.IMMUTABLE_CONFLICT: 409,
    ErrorCode.CYCLE: 409,
    ErrorCode.UNAVAILABLE: 503,
}


def error_response(error: LineageError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code.value, "message": error.message}
    body.update({k: v for k, v in error.details.items() if isinstance(v, str | int | float)})
    headers = {"WWW-Authenticate": "Bearer"} if error.code is ErrorCode.UNAUTHENTICATED else None
    return JSONResponse({"error": body}, status_code=_STATUS.get(error.code, 500), headers=headers)


def _check_content_type(request: Request) -> None:
    given = request.headers.get("content-type")
    mime = (given or "").split(";", 1)[0].strip().lower()
    if mime != "application/json" and not (
        mime.startswith("application/") and mime.endswith("+json")
    ):
        raise BadInput(
            f"Content-Type must be application/json, not {given!r}"
            if given
            else "Content-Type is missing; send application/json",
            field="Content-Type",
        )


def decode_body(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """The JSON bytes of the body: gunzipped when it says gzip, never more than ``limit``."""
    coding = (encoding or "identity").strip().lower()
    if coding in {"", "identity"}:
        return raw
    if coding not in {"gzip", "x-gzip"}:
        raise BadInput(
            f"Content-Encoding {encoding!r} is not supported; send gzip or nothing",
            field="Content-Encoding",
        )
    out, data = bytearray(), raw
    try:
        while data:  # a gzip body may hold several members
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise too_large(limit, _LIMIT_SETTING, "decompressed event")
            if not inflater.eof:
                raise BadInput("the gzip body is truncated", field="body")
            data = inflater.unused_data
    except zlib.error as exc:
        raise BadInput(f"the body is not valid gzip ({exc})", field="body") from None
    return bytes(out)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes) -> object:
    if not data.strip():
        raise BadInput("the body is empty; send one OpenLineage event as JSON", field="body")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8 text", field="body") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"the body is not valid JSON: {exc}", field="body") from None


def _plan(data: bytes) -> LineagePlan:
    return plan_event(parse_event(parse_json(data)))


async def post_lineage(request: Request) -> Response:
    resources = request.state.resources
    settings = resources.settings
    limit = settings.openlineage_max_event_bytes
    try:
        await authorize(request)
        _check_content_type(request)
        try:
            raw = await read_capped(request.scope, request.receive, limit)
        except BodyTooLarge:
            raise too_large(limit, _LIMIT_SETTING, "event") from None
        data = decode_body(raw, request.headers.get("content-encoding"), limit)
        plan = await anyio.to_thread.run_sync(_plan, data)
        store = OpenLineageStore(resources.driver, settings.neo4j_database, resources.catalog)
        try:
            applied = await anyio.to_thread.run_sync(store.apply, plan)
        except LineageError:
            raise
        except Exception as exc:
            if _is_unavailable(exc):
                raise Unavailable("the graph database is not reachable; retry later") from exc
            if _is_transient(exc):  # deadlocks or lock waits beyond the driver's retry time
                raise Unavailable("the graph is busy; retry the event") from exc
            raise
    except LineageError as error:
        return error_response(error)
    except Exception:
        log.exception("OpenLineage event failed")
        return JSONResponse(
            {"error": {"code": ErrorCode.INTERNAL.value, "message": "internal error"}},
            status_code=500,
        )
    return JSONResponse(applied.to_json(), status_code=201)


def _is_transient(exc: Exception) -> bool:
    import neo4j.exceptions

    return isinstance(exc, neo4j.exceptions.TransientError)


def _is_unavailable(exc: Exception) -> bool:
    import neo4j.exceptions

    return isinstance(exc, neo4j.exceptions.ServiceUnavailable | neo4j.exceptions.SessionExpired)


def _authenticator(request: Request) -> Authenticator:
    """One per app (its cache of verified tokens), made on first use; the event loop is the lock."""
    state = request.app.state
    found = getattr(state, "openlineage_authenticator", None)
    if found is None:
        resources = request.state.resources
        settings = resources.settings
        tokens = TokenStore(resources.driver, settings.neo4j_database, resources.catalog)
        found = Authenticator(tokens, settings.auth_enabled)
        state.openlineage_authenticator = found
    assert isinstance(found, Authenticator)
    return found


async def authorize(request: Request) -> None:
    """Bearer API token with write scope (401 without a valid one, 403 for a read token); with
    auth off (loopback only) every request is the local admin."""
    if not request.state.resources.settings.auth_enabled:
        return
    authenticate = _authenticator(request).authenticate
    identity = await anyio.to_thread.run_sync(authenticate, request.headers.get("authorization"))
    identity.require(Scope.WRITE)
