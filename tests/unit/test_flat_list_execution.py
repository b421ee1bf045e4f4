"""api/execution.FlatListExecutionContext answers exactly what graphql-core's own completion does:
the same data and the same errors (paths, messages), with and without the fast path."""

from __future__ import annotations

import asyncio
import math
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import ParserCache, SchemaExtension

from lineagegraph.api.execution import FlatListExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Item:
    ref: str
    colour: Colour
    version: str | None
    depth: int

    @strawberry.field
    def doubled(self) -> int:
        return self.depth * 2


@strawberry.type
class Holder:
    items: list[Item]
    maybe: list[Item | None]
    size: int = 0
    note: str | None = None
    inner: Holder | None = None


def _items() -> list[Item]:
    return [
        Item(ref=f"r{i}", colour=Colour.RED if i % 2 else Colour.BLUE, version=None, depth=i)
        for i in range(5)
    ]


BAD: Any = None  # a null where the schema says String!


@strawberry.type
class Edge:
    """Values at the edges of the leaf coercions' exact-type shortcuts; a renamed attribute."""

    from_: str = strawberry.field(name="from")
    count: int
    score: float | None
    flag: bool | None
    ident: strawberry.ID | None
    shade: Colour | None = None


EDGES: dict[str, list[Any]] = {
    "plain": [Edge(from_="a", count=2**31 - 1, score=0.5, flag=True, ident=strawberry.ID("7"))],
    "big": [
        Edge(from_="a", count=1, score=None, flag=None, ident=None),
        Edge(from_="b", count=2**31, score=1.0, flag=False, ident=None),
    ],
    "small": [Edge(from_="a", count=-(2**31) - 1, score=None, flag=None, ident=None)],
    "bool_int": [Edge(from_="a", count=True, score=None, flag=None, ident=None)],
    "int_float": [Edge(from_="a", count=1, score=3, flag=None, ident=None)],  # type: ignore[arg-type]
    "nan": [Edge(from_="a", count=1, score=math.nan, flag=None, ident=None)],
    "inf": [Edge(from_="a", count=1, score=-math.inf, flag=None, ident=None)],
    "int_str": [Edge(from_=5, count=1, score=None, flag=1, ident=12)],  # type: ignore[arg-type]
    "float_int": [Edge(from_="a", count=2.0, score=None, flag=None, ident=None)],  # type: ignore[arg-type]
    "float_frac": [Edge(from_="a", count=2.5, score=None, flag=None, ident=None)],  # type: ignore[arg-type]
    "enums": [
        Edge(from_=f"e{i}", count=i, score=None, flag=None, ident=None, shade=shade)
        for i, shade in enumerate([Colour.RED, None, Colour.RED, Colour.BLUE, None])
    ],
    "enum_bad": [
        Edge(from_="a", count=1, score=None, flag=None, ident=None, shade=Colour.RED),
        Edge(from_="b", count=1, score=None, flag=None, ident=None, shade="GREEN"),  # type: ignore[arg-type]
    ],
}


@strawberry.type
class Query:
    @strawberry.field
    def holder(self) -> Holder:
        items = _items()
        inner = Holder(items=items[:2], maybe=[], size=2, note="inner")
        return Holder(items=items, maybe=[items[0], None, items[1]], size=5, inner=inner)

    @strawberry.field
    def broken_holder(self) -> Holder:
        return Holder(items=_items(), maybe=[], size=BAD)

    @strawberry.field
    def tuple_holder(self) -> Holder:
        return Holder(items=tuple(_items()), maybe=[])  # type: ignore[arg-type]

    @strawberry.field
    def edges(self, case: str) -> list[Edge]:
        return EDGES[case]

    @strawberry.field
    def broken(self) -> list[Item]:
        items = _items()
        items[2].ref = BAD
        return items

    @strawberry.field
    def wrong_enum(self) -> list[Item]:
        items = _items()
        items[1].colour = "GREEN"  # type: ignore[assignment]
        return items


QUERIES = [
    "{ holder { items { ref colour version depth } } }",
    "{ holder { items { a: ref b: depth ref } } }",
    "{ holder { items { __typename ref } } }",
    "{ holder { items { ref doubled } } }",
    "{ holder { maybe { ref depth } } }",
    "{ holder { items { ...F } } } fragment F on Item { ref colour }",
    "query($x: Boolean!) { holder { items { ref depth @include(if: $x) } } }",
    "{ broken { ref depth } }",
    "{ wrongEnum { ref colour } }",
    # objects of plain fields (leaves and flat lists) are completed in one call too
    "{ holder { size note items { ref depth } maybe { ref } } }",
    "{ holder { size items { ref doubled } } }",
    "{ holder { size inner { size note items { ref } } } }",
    "{ holder { __typename size } }",
    "query($x: Boolean!) { holder { size note @include(if: $x) } }",
    "{ brokenHolder { size items { ref } } }",
    "{ tupleHolder { items { ref } } }",
    *(f'{{ edges(case: "{case}") {{ from count score flag ident shade }} }}' for case in EDGES),
]


def _run(schema: strawberry.Schema, query: str) -> tuple[Any, Any]:
    result = asyncio.run(schema.execute(query, variable_values={"x": False}))
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_graphql_core(query: str) -> None:
    plain = strawberry.Schema(query=Query)
    fast = strawberry.Schema(query=Query, execution_context_class=FlatListExecutionContext)
    assert _run(fast, query) == _run(plain, query)


def test_fast_path_is_taken_for_flat_items(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = FlatListExecutionContext._flat_columns

    def spy(self: FlatListExecutionContext, *args: Any) -> Any:
        plan = original(self, *args)
        calls.append(0 if plan is None else len(plan[0]))
        return plan

    monkeypatch.setattr(FlatListExecutionContext, "_flat_columns", spy)
    fast = strawberry.Schema(query=Query, execution_context_class=FlatListExecutionContext)
    data, errors = _run(fast, "{ holder { items { ref colour version depth } } }")
    assert not errors
    assert calls == [4, 1]  # the items (4 fields), inside the holder's plan (1 field: items)
    assert data["holder"]["items"][1] == {"ref": "r1", "colour": "RED", "version": None, "depth": 1}
    calls.clear()
    _run(fast, "{ holder { items { ref doubled } } }")
    # a field with its own resolver: no plan for the items, the holder or an item on its own
    assert calls
    assert not any(calls)


def test_plans_are_kept_across_requests_of_a_cached_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the parser cache a repeated query text brings the same AST back: its list plan is
    built once; a selection with a directive (variables could change it) is planned each time."""
    calls: list[str] = []
    original = FlatListExecutionContext._flat_columns

    def spy(self: FlatListExecutionContext, *args: Any) -> Any:
        calls.append("planned")
        return original(self, *args)

    monkeypatch.setattr(FlatListExecutionContext, "_flat_columns", spy)
    monkeypatch.setattr("lineagegraph.api.execution._PLANS", {})
    cached = strawberry.Schema(
        query=Query,
        execution_context_class=FlatListExecutionContext,
        extensions=[lambda: ParserCache(maxsize=8)],
    )
    plain = strawberry.Schema(query=Query)
    query = "{ holder { items { b: depth ref } } }"
    for _ in range(3):
        assert _run(cached, query) == _run(plain, query)
    assert calls == ["planned", "planned"]  # the holder and, inside its plan, the items
    calls.clear()
    with_directive = "query($x: Boolean!) { holder { items { ref depth @include(if: $x) } } }"
    for x in (True, False, True):
        got = asyncio.run(cached.execute(with_directive, variable_values={"x": x}))
        want = asyncio.run(plain.execute(with_directive, variable_values={"x": x}))
        assert got.data == want.data
        assert not got.errors
        assert ("depth" in got.data["holder"]["items"][0]) is x  # type: ignore[index]
    assert calls == ["planned"] * 3


class Shout(SchemaExtension):
    """An extension that resolves (graphql-core middleware): it must see every field."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


def test_a_resolving_extension_turns_the_fast_path_off() -> None:
    query = "{ holder { size note items { ref colour } } }"
    plain = strawberry.Schema(query=Query, extensions=[Shout])
    fast = strawberry.Schema(
        query=Query, extensions=[Shout], execution_context_class=FlatListExecutionContext
    )
    data, errors = _run(fast, query)
    assert (data, errors) == _run(plain, query)
    assert data["holder"]["items"][0]["ref"] == "R0"
