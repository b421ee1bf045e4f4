"""Lineage Graph: lineage and reproducibility for ML runs.

``import lineagegraph`` gives the SDK that training code uses; it loads none of the server's
dependencies (neo4j, strawberry, starlette).
"""

from lineagegraph._version import __version__
from lineagegraph.errors import (
    BadInput,
    CycleError,
    ImmutableConflict,
    LineageError,
    NotFound,
)
from lineagegraph.refs import NodeKind, Ref, parse_ref

__all__ = [
    "BadInput",
    "CycleError",
    "ImmutableConflict",
    "LineageError",
    "NodeKind",
    "NotFound",
    "Ref",
    "__version__",
    "parse_ref",
]
