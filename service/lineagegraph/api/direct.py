"""Prepared queries: a POST of a known, valid query text skips strawberry's per-request layers.

Strawberry answers every request through its HTTP view (request adapter, content-type parsing
through ``email.message``, body checks) and its schema runner (an execution context, four
extension hooks as async context managers, the operation-type check), ~0.2 ms of Python before
and after graphql-core runs the operation (measured in-process: ~360 us a small ``impact``
request in all, ~140 us of it graphql-core's execution with the store call). For a small read
that is as much as Neo4j's own time.

:class:`DirectQueries` answers the common request itself: ``POST`` with a JSON body holding a
query text that strawberry has already parsed and validated without errors (api/documents.py
keeps that outcome), a query operation, plain variables, no ``extensions``. It builds the same
context (the view's ``get_context``), runs graphql-core's ``execute`` with the arguments
strawberry passes (the schema's execution context class, strawberry's awaitable check, no
middleware), shapes errors as the schema's ``process_errors`` does and encodes
the response with the view's ``process_result`` / ``create_response``. Everything else — GET,
other content types, batches, mutations, subscriptions, a text seen for the first time or with
validation errors, a schema with directives or resolve-hook extensions — goes to strawberry
unchanged (tests/integration/test_api_direct.py checks both paths give the same responses).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

import strawberry
from graphql import ExecutionResult, GraphQLError, OperationType, execute, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope
from strawberry.execution import optimized_is_awaitable
from strawberry.http import process_result

from lineagegraph.api.documents import QueryDocuments
from lineagegraph.api.errors import shape_errors

if TYPE_CHECKING:
    from lineagegraph.api.schema import LineageGraphQL

_JSON = b"application/json"
_REQUEST_KEYS = frozenset(("query", "variables", "operationName"))


def _is_json(scope: Scope) -> bool:
    """A content type strawberry reads as JSON: ``application/json``, perhaps with parameters."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = bytes(value).lower()
            return kind == _JSON or kind.startswith(_JSON + b";")
    return False


class DirectQueries:
    """Answers prepared queries for one view (see the module's docstring)."""

    def __init__(
        self, view: LineageGraphQL, schema: strawberry.Schema, documents: QueryDocuments
    ) -> None:
        self.view = view
        self.schema = schema
        self.documents = documents
        self._graphql_schema = schema._schema
        self._executor = schema.execution_context_class
        # Resolve hooks or directives would need strawberry's middleware: never direct then.
        extensions = schema.get_extensions()
        self.enabled = not schema.directives and not any(
            ext._implements_resolve() for ext in extensions
        )
        self.answered = 0  # requests answered here (tests and probes read it)

    def _prepared(self, body: bytes) -> tuple[Any, dict[str, Any] | None, str | None] | None:
        """(document, variables, operation name) of a prepared query, else None."""
        try:
            data = json.loads(body)  # strawberry's own decoder: same numbers, same strings
        except ValueError:
            return None
        if type(data) is not dict or not data.keys() <= _REQUEST_KEYS:
            return None
        query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        if type(query) is not str or not (variables is None or type(variables) is dict):
            return None
        if not (name is None or type(name) is str):
            return None
        document = self.documents.validated(query)
        if document is None:
            return None
        operation = get_operation_ast(document, name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        return document, variables, name

    async def respond(self, scope: Scope, body: bytes, receive: Receive) -> Response | None:
        """The response to a prepared query, or None: strawberry answers it."""
        if not _is_json(scope):
            return None
        prepared = self._prepared(body)
        if prepared is None:
            return None
        document, variables, name = prepared
        view = self.view
        request = Request(scope, receive)
        sub_response = await view.get_sub_response(request)
        context = await view.get_context(request, sub_response)
        try:
            outcome = execute(
                self._graphql_schema,
                document,
                root_value=None,
                context_value=context,
                variable_values=variables,
                operation_name=name,
                is_awaitable=cast(Any, optimized_is_awaitable),
                executor_class=self._executor,
                operation_extensions=None,
            )
            if optimized_is_awaitable(outcome):
                outcome = await cast(Awaitable[ExecutionResult], outcome)
            result = cast(ExecutionResult, outcome)
        except GraphQLError as exc:  # as strawberry: an escaped exception is the operation's error
            result = ExecutionResult(data=None, errors=[exc])
        except Exception as exc:
            result = ExecutionResult(data=None, errors=[GraphQLError(str(exc), original_error=exc)])
        if result.errors:
            shape_errors(result.errors, sub_response)  # as the schema's process_errors does
        self.answered += 1
        response_data = process_result(result)
        return view.create_response(response_data=response_data, sub_response=sub_response)
