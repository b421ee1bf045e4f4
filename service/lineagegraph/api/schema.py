"""The strawberry schema and its ASGI app."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from lineagegraph import __version__
from lineagegraph.config import Settings


@strawberry.type
class Query:
    @strawberry.field(description="The version of the running service.")
    def service_version(self) -> str:
        return __version__


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    depth = settings.max_query_depth if settings else 12
    aliases = settings.max_aliases if settings else 30
    return strawberry.Schema(
        query=Query,
        # Factories: strawberry builds fresh extension instances for every request.
        extensions=[
            lambda: QueryDepthLimiter(max_depth=depth),
            lambda: MaxAliasesLimiter(max_alias_count=aliases),
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"


def sdl_path() -> Path:
    from lineagegraph.graph.catalog import schema_dir

    return schema_dir() / "lineage.graphql"


def build_graphql_app(settings: Settings) -> GraphQL[object, object]:
    return GraphQL(build_schema(settings))
