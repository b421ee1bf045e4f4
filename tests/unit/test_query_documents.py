"""api/documents.QueryDocuments: a query text is parsed and validated once, with the limits, and
every request still gets exactly the answer (data or errors) of an uncached schema."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter

from lineagegraph.api import documents
from lineagegraph.api.documents import QueryDocuments


@strawberry.type
class Node:
    name: str

    @strawberry.field
    def child(self) -> Node:
        return Node(name=self.name + "/c")


@strawberry.type
class Query:
    @strawberry.field
    def root(self, name: str = "r") -> Node:
        return Node(name=name)


LIMITS = [
    *QueryDepthLimiter(max_depth=3).validation_rules,
    *MaxAliasesLimiter(max_alias_count=2).validation_rules,
]


def _schemas(maxsize: int = 8) -> tuple[strawberry.Schema, strawberry.Schema, QueryDocuments]:
    docs = QueryDocuments(LIMITS, maxsize=maxsize)
    cached = strawberry.Schema(query=Query, extensions=[docs.extension])
    plain = strawberry.Schema(query=Query, extensions=[lambda: AddValidationRules(LIMITS)])
    return cached, plain, docs


def _run(schema: strawberry.Schema, query: str, **variables: Any) -> tuple[Any, Any]:
    result = asyncio.run(schema.execute(query, variable_values=variables))
    return result.data, [(e.message, e.path) for e in result.errors or []]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"parse": 0, "validate": 0}

    def count(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(documents, "parse", count("parse", documents.parse))
    monkeypatch.setattr(
        documents, "validate_document", count("validate", documents.validate_document)
    )
    return counts


QUERIES = [
    "query($n: String!) { root(name: $n) { name child { name } } }",
    "{ root { child { child { child { name } } } } }",  # too deep
    "{ a: root { name } b: root { name } c: root { name } }",  # too many aliases
    "{ root { nope } }",  # not in the schema
    "{ root { name }",  # does not parse
]


@pytest.mark.parametrize("query", QUERIES)
def test_every_request_answers_as_an_uncached_schema(query: str) -> None:
    cached, plain, _ = _schemas()
    want = _run(plain, query, n="x")
    for _ in range(3):
        assert _run(cached, query, n="x") == want


def test_a_repeated_text_is_parsed_and_validated_once(counted: dict[str, int]) -> None:
    cached, _, docs = _schemas()
    query = QUERIES[0]
    for name in ("a", "b", "c"):
        data, errors = _run(cached, query, n=name)
        assert not errors
        assert data == {"root": {"name": name, "child": {"name": name + "/c"}}}
    assert counted == {"parse": 1, "validate": 1}
    assert len(docs) == 1


def test_a_rejected_document_is_rejected_every_time_but_validated_once(
    counted: dict[str, int],
) -> None:
    cached, _, _ = _schemas()
    answers = [_run(cached, QUERIES[1]) for _ in range(3)]
    assert answers[0][1]
    assert "exceeds maximum operation depth" in answers[0][1][0][0]
    assert answers[0] == answers[1] == answers[2]
    assert counted == {"parse": 1, "validate": 1}


def test_a_syntax_error_is_not_kept() -> None:
    cached, _, docs = _schemas()
    data, errors = _run(cached, QUERIES[4])
    assert data is None
    assert errors
    assert "Syntax Error" in errors[0][0]
    assert len(docs) == 0


def test_the_cache_is_bounded() -> None:
    cached, _, docs = _schemas(maxsize=2)
    for name in ("a", "b", "c"):
        _run(cached, "query { root(name: %s) { name } }" % f'"{name}"')  # noqa: UP031
    assert len(docs) == 2


def test_only_a_text_validated_without_errors_is_handed_out_ready() -> None:
    cached, _, docs = _schemas(maxsize=2)
    for query in QUERIES:
        assert docs.validated(query) is None  # never seen
        _run(cached, query, n="x")
    ready = [query for query in QUERIES if docs.validated(query) is not None]
    assert ready == []  # only the last two texts are kept: one invalid, one unparsable
    _run(cached, QUERIES[0], n="x")
    document = docs.validated(QUERIES[0])
    assert document is not None
    assert docs.entry(QUERIES[0], {}) is not None
    # a ready text handed out is the most recently used: a new text evicts the other one
    _run(cached, QUERIES[1])
    assert docs.validated(QUERIES[0]) is document
    _run(cached, "{ root { name } }")
    assert docs.validated(QUERIES[0]) is document
    assert docs.validated("{ root { name } }") is not None
