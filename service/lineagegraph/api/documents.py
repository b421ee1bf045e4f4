"""Each distinct query text is parsed and validated once, then served from memory.

One schema extension in place of strawberry's ``ParserCache`` + ``AddValidationRules`` +
``ValidationCache``: those key their LRU caches by the parsed document, whose ``__hash__`` walks
the whole syntax tree on every request (~40 us for the benchmark's impact query), and run three
extension objects per request. Here the key is the query text, and the entry holds the document
and its validation errors (the schema's rules plus the depth and alias limits, which depend on
the document only, never on the variables).

A text that does not parse is not kept: strawberry parses it again and reports the syntax error
as usual.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    rules: Rules | None = None  # what `errors` was validated with
    errors: list[GraphQLError] | None = None


class QueryDocuments:
    """A bounded LRU of query text -> parsed document and validation outcome, shared by every
    request of one schema (and safe across threads)."""

    def __init__(self, limits: Sequence[type[ASTValidationRule]], maxsize: int = 256) -> None:
        self.limits = tuple(limits)
        self.maxsize = maxsize
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, query: str, parse_options: dict[str, object]) -> _Entry | None:
        with self._lock:
            found = self._entries.get(query)
            if found is not None:
                self._entries.move_to_end(query)
                return found
        try:
            document = parse(query, **parse_options)  # type: ignore[arg-type]
        except GraphQLError:
            return None  # strawberry parses it again and reports the error
        with self._lock:
            found = self._entries.setdefault(query, _Entry(document))
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return found

    def validated(self, query: str) -> DocumentNode | None:
        """The document of a text already validated without errors (api/direct.py), else None."""
        with self._lock:
            found = self._entries.get(query)
            if found is None or found.errors is None or found.errors:
                return None
            self._entries.move_to_end(query)
            return found.document

    def errors(self, entry: _Entry, schema: object, base_rules: Rules) -> list[GraphQLError]:
        rules = (*base_rules, *self.limits)
        if entry.rules != rules:  # first use, or a caller with other rules
            errors = validate_document(schema, entry.document, rules)  # type: ignore[arg-type]
            entry.rules, entry.errors = rules, errors
            return errors
        assert entry.errors is not None
        return entry.errors

    def extension(self) -> DocumentCache:
        """A fresh extension for one request (strawberry takes factories)."""
        return DocumentCache(self)


class DocumentCache(SchemaExtension):
    def __init__(self, documents: QueryDocuments) -> None:
        super().__init__()
        self.documents = documents
        self._entry: _Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            self._entry = self.documents.entry(context.query, dict(context.parse_options))
            if self._entry is not None:
                context.graphql_document = self._entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self._entry
        if entry is not None and context.graphql_document is entry.document:
            rules = tuple(context.validation_rules)
            schema = context.schema._schema
            # a copy: the schema's process_errors shapes a result's errors in place
            context.pre_execution_errors = list(self.documents.errors(entry, schema, rules))
        else:  # a document given ready-parsed: validate it with the limits, uncached
            context.validation_rules = (*context.validation_rules, *self.documents.limits)
        yield
