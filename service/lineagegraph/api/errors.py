"""Shaping GraphQL errors: typed errors keep their code, everything else is masked.

- a LineageError (errors.py) keeps its message; ``extensions`` gets its code (and ``field``);
- an error GraphQL itself raises (syntax, unknown field, wrong argument type, query depth or
  alias limits, a variable's value the type refuses) is the client's: code BAD_INPUT;
- anything else is a bug or an outage: the client sees "internal error" with code INTERNAL (or
  UNAVAILABLE with HTTP 503 when Neo4j cannot be reached, so clients retry), and the traceback
  goes to the server log only. That includes an exception escaping execution itself.

Shaping happens in the schema's ``process_errors`` (api/schema.py), which strawberry calls once
for every result with errors: before execution, after it, and when the operation raises. An
``on_operation`` extension (strawberry's own ``MaskErrors`` works that way) never sees the last
kind: strawberry builds that result after the extensions have exited.
"""

from __future__ import annotations

import logging

import neo4j.exceptions
from graphql import GraphQLError
from starlette.responses import Response

from lineagegraph.errors import ErrorCode, LineageError, Unavailable

log = logging.getLogger("lineagegraph.api")
_OUTAGES = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired)


def _replace(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def shape(error: GraphQLError) -> tuple[GraphQLError, bool]:
    """The error as the client sees it, and whether it was an outage."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, LineageError):
        return _replace(error, original.message, original.to_extensions()), isinstance(
            original, Unavailable
        )
    if original is None or (
        error.path is None and error.nodes and not isinstance(original, _OUTAGES)
    ):
        # Raised by GraphQL itself, or before execution about a place in the request's document
        # (a variable whose value its type refuses: an unknown enum value carries the enum's
        # ValueError), so the request is at fault. No path and no place: it escaped execution.
        return _replace(error, error.message, {"code": ErrorCode.BAD_INPUT.value}), False
    if isinstance(original, _OUTAGES):
        log.warning("Neo4j unavailable: %s", original)
        outage = Unavailable("the graph database is unavailable; retry later")
        return _replace(error, outage.message, outage.to_extensions()), True
    log.error("internal error in %s", ".".join(map(str, error.path or [])), exc_info=original)
    return _replace(error, "internal error", {"code": ErrorCode.INTERNAL.value}), False


def shape_errors(errors: list[GraphQLError], response: Response | None) -> None:
    """Shape a result's errors in place (the result holds this list); an outage sets the
    response's status to 503."""
    shaped = [shape(error) for error in errors]
    errors[:] = [error for error, _ in shaped]
    if response is not None and any(outage for _, outage in shaped):
        response.status_code = 503
