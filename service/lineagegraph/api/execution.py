"""GraphQL execution with a fast path for flat lists and flat objects.

graphql-core completes every field of every list item on its own (resolve info, path, argument
check, completion, per field): for an ``impact`` of ~900 items with four fields that is ~4,500
field executions, 13-25 ms, more than the Neo4j read itself. Most big lists in this schema are
lists of flat records (``ImpactItem``, ``LineageNode``, ``LineageEdge``) whose selected fields are
plain attributes of leaf type, held by objects whose fields are such lists and leaves (``Impact``,
``LineageGraph``). For those, :class:`FlatListExecutionContext` builds the dicts from a plan made
once per query text: column by column, each field read from every item (its own resolver), the
column coerced by the leaf type's own output coercion (exact built-in values kept as they are,
an enum serialized once per distinct value), the item dicts zipped together in the order the
query selected them, keyed by response name (aliases kept).

It falls back to graphql-core's own completion whenever anything is not plain: an item type that
is abstract or has ``is_type_of``, a selected field with a custom resolver (permissions,
arguments, ``__typename``, a nested object), middleware, ``@defer``/``@stream``, or any error
or null in a non-null position while building the dicts (graphql-core then redoes the list or
object and reports the error exactly as it would have).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: one selected field: read its value from an item, complete a column of such values (raising
#: _NotFlat where graphql-core's own completion is needed)
_Column = tuple[Callable[[Any], Any], Callable[[list[Any]], list[Any]]]
_MAX_INT, _MIN_INT = 2**31 - 1, -(2**31)
_NONE, _UNDEFINED = type(None), type(Undefined)


def _reader(
    schema: GraphQLSchema, object_type: GraphQLObjectType, name: str, resolve: Callable[..., Any]
) -> Callable[[Any], Any]:
    """How to read a plain field from an item: ``attrgetter`` of its Python attribute when
    strawberry's resolver for it is the default ``getattr`` (no resolver, no extensions, the
    config's default resolver), else that resolver. Same value, one C call instead of three
    Python calls per field."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    definition = object_type.extensions.get("strawberry-definition")
    if strawberry_schema is not None and definition is not None:
        config = strawberry_schema.config
        for field in definition.fields:
            if config.name_converter.get_graphql_name(field) == name:
                if field.is_basic_field and config.default_resolver is getattr:
                    return operator.attrgetter(field.python_name)
                break
    return lambda item: resolve(item, None)  # strawberry's plain-attribute resolver ignores info


#: built-in scalars whose serializer returns a value of this exact Python type unchanged
_EXACT = (
    (GraphQLString, str),
    (GraphQLID, str),
    (GraphQLInt, int),
    (GraphQLBoolean, bool),
    (GraphQLFloat, float),
)


def _exact_values(exact: type, values: list[Any]) -> bool:
    """True when graphql-core's serializer would return every value unchanged: all of the exact
    built-in type (``type(True)`` is not ``int``), Ints within 32 bits, Floats finite."""
    if exact is int:
        return bool(min(values) >= _MIN_INT and max(values) <= _MAX_INT)
    if exact is float:
        return all(map(math.isfinite, values))
    return True


def _leaf_column(leaf: GraphQLLeafType, non_null: bool) -> Callable[[list[Any]], list[Any]]:
    """The leaf type's output coercion over a whole column, checked with a few C-level passes:
    a column of exact built-in values (String, ID, Int, Boolean, Float) is returned as it is; an
    enum's values are serialized once per distinct value; anything else value by value."""
    serialize = leaf.coerce_output_value
    exact = next((kind for scalar, kind in _EXACT if leaf is scalar), None)
    is_enum = isinstance(leaf, GraphQLEnumType)

    def column(values: list[Any]) -> list[Any]:
        types = set(map(type, values))
        present = values
        if _NONE in types:
            if non_null:
                raise _NotFlat
            types.discard(_NONE)
            present = [value for value in values if value is not None]
        if not present:
            return values
        if len(types) == 1 and _UNDEFINED not in types:
            if exact is not None and types == {exact} and _exact_values(exact, present):
                return values
            if is_enum:  # one type: no two equal keys of different types in the memo
                memo = {value: serialize(value) for value in set(present)}
                if None in memo.values() or Undefined in memo.values():
                    raise _NotFlat
                memo[None] = None
                return list(map(memo.__getitem__, values))
        return _each(values, non_null, coerce)

    def coerce(value: Any) -> Any:
        coerced = serialize(value)
        if coerced is None or coerced is Undefined:
            raise _NotFlat  # graphql-core reports it
        return coerced

    return column


def _list_column(plan: tuple[tuple[str, ...], list[_Column], bool], non_null: bool) -> Any:
    """A column of list values, each a flat list completed with the item plan."""

    def complete(items: Any) -> list[Any]:
        if type(items) is not list:  # graphql-core takes any iterable: leave the rest to it
            raise _NotFlat
        return _flat_items(items, *plan)

    return lambda values: _each(values, non_null, complete)


def _each(values: list[Any], non_null: bool, complete: Callable[[Any], Any]) -> list[Any]:
    """Value by value: a null (None or Undefined) stays null where the type allows it, every
    other value is completed."""
    out: list[Any] = []
    for value in values:
        if value is None or value is Undefined:
            if non_null:
                raise _NotFlat
            out.append(None)
        else:
            out.append(complete(value))
    return out


#: response keys, their columns, whether an item may be null
_Plan = tuple[tuple[str, ...], list[_Column], bool] | None
#: Kept for a selection that variables could change: planned per list, never per object.
_VARIES: Any = object()

#: Plans kept across requests, by item or object type and the identity of the field's AST nodes
#: (the parsed document is cached, so a repeated query text brings the same nodes back). A plan
#: is kept only for sub-selections of plain fields without directives or fragments, down to the
#: leaves: then variables cannot change it; other selections are marked ``_VARIES``. The value
#: holds the nodes, so their ids cannot be reused while they are keys.
_PLANS: dict[tuple[Any, ...], tuple[tuple[FieldNode, ...], Any]] = {}
_MAX_PLANS = 1024


def _plain(node: FieldNode) -> bool:
    """Only fields below, none with a directive, down to the leaves."""
    selection_set = node.selection_set
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or not _plain(selection):
            return False
    return True


def _nodes(field_details_list: Any) -> tuple[FieldNode, ...] | None:
    nodes = []
    for details in field_details_list:
        if details.defer_usage is not None or details.fragment_variable_values:
            return None
        nodes.append(details.node)
    return tuple(nodes)


class _NotFlat(Exception):
    """Something in the list needs graphql-core's full completion."""


class FlatListExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def _cached_columns(
        self, item_type: GraphQLOutputType, field_details_list: Any, *, per_call: bool
    ) -> _Plan:
        """The plan for this selection of this type, from the cache when variables cannot change
        it; else made now when ``per_call`` (one plan for a whole list) or None."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        nodes = _nodes(field_details_list)
        if nodes is None:
            return self._flat_columns(item_type, field_details_list) if per_call else None
        key = (item_type, *map(id, nodes))
        cached = _PLANS.get(key)
        if cached is None:
            if all(node.selection_set is not None and _plain(node) for node in nodes):
                plan = self._flat_columns(item_type, field_details_list)
            else:
                plan = _VARIES
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()
            _PLANS[key] = (nodes, plan)
        else:
            plan = cached[1]
        if plan is _VARIES:
            return self._flat_columns(item_type, field_details_list) if per_call else None
        result: _Plan = plan
        return result

    def _flat_columns(self, item_type: GraphQLOutputType, field_details_list: Any) -> _Plan:
        nullable = not isinstance(item_type, GraphQLNonNull)
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not is_object_type(object_type):  # (middleware: refused by _cached_columns)
            return None
        assert isinstance(object_type, GraphQLObjectType)
        if object_type.is_type_of is not None:
            return None
        grouped, defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        if defer_usages or forbidden:
            return None
        keys: list[str] = []
        columns: list[_Column] = []
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
                return None
            node = details[0].node
            field_def = object_type.fields.get(node.name.value)
            if field_def is None or field_def.args or node.arguments or node.directives:
                return None
            resolve = field_def.resolve
            if resolve is None or not getattr(resolve, "_is_default", False):
                return None  # a resolver of its own (permissions, arguments, ...)
            value_type = field_def.type
            non_null = isinstance(value_type, GraphQLNonNull)
            if non_null:
                value_type = value_type.of_type
            if is_leaf_type(value_type):
                assert isinstance(value_type, GraphQLLeafType)
                complete = _leaf_column(value_type, non_null)
            elif isinstance(value_type, GraphQLList):
                item_plan = self._flat_columns(value_type.of_type, details)
                if item_plan is None:
                    return None
                complete = _list_column(item_plan, non_null)
            else:
                return None  # a nested object: graphql-core's completion
            keys.append(key)
            columns.append((_reader(self.schema, object_type, node.name.value, resolve), complete))
        return tuple(keys), columns, nullable

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        plan = (
            self._cached_columns(item_type, field_details_list, per_call=True)
            if isinstance(items, list) and self.get_stream_usage(field_details_list, path) is None
            else None
        )
        if plan is not None:
            try:
                return _flat_items(items, *plan)  # type: ignore[arg-type]
            except Exception:  # noqa: S110 - graphql-core redoes the list and reports it
                pass
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # An object of plain fields (leaves and flat lists, like Impact and LineageGraph): its
        # dict in one call instead of one graphql-core field execution per field.
        plan = self._cached_columns(return_type, field_details_list, per_call=False)
        if plan is not None:
            try:
                return _flat_items([result], plan[0], plan[1], False)[0]
            except Exception:  # noqa: S110 - graphql-core redoes the object and reports it
                pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )


def _flat_items(
    items: list[Any], keys: tuple[str, ...], columns: list[_Column], nullable: bool
) -> list[dict[str, Any] | None]:
    """The items' dicts, built column by column: each field read from every item, the column
    completed, the dicts zipped together (a few C-level passes per field instead of Python calls
    per field and item)."""
    if not items:
        return []
    if _NONE in set(map(type, items)):
        if not nullable:
            raise _NotFlat
        present = iter(_flat_items([i for i in items if i is not None], keys, columns, nullable))
        return [None if item is None else next(present) for item in items]
    completed = [complete(list(map(read, items))) for read, complete in columns]
    return list(map(dict, map(zip, itertools.repeat(keys), zip(*completed, strict=True))))
