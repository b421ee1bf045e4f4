"""Lineage Graph: lineage and reproducibility for ML runs.

``import lineagegraph as lg`` gives the SDK that training code uses (``lg.Client``,
``lg.seed_everything``, ...); it loads none of the server's dependencies (neo4j, strawberry,
starlette, uvicorn, minio).
"""

from lineagegraph._version import __version__
from lineagegraph.errors import (
    BadInput,
    CycleError,
    ImmutableConflict,
    LineageError,
    NotFound,
    Unavailable,
)
from lineagegraph.models import RunStatus
from lineagegraph.refs import NodeKind, Ref, parse_ref
from lineagegraph.sdk import (
    Artifact,
    Client,
    EventError,
    Impact,
    ImpactItem,
    LineageWarning,
    Run,
    RunEnded,
    RunHandle,
    seed_everything,
)

__all__ = [
    "Artifact",
    "BadInput",
    "Client",
    "CycleError",
    "EventError",
    "ImmutableConflict",
    "Impact",
    "ImpactItem",
    "LineageError",
    "LineageWarning",
    "NodeKind",
    "NotFound",
    "Ref",
    "Run",
    "RunEnded",
    "RunHandle",
    "RunStatus",
    "Unavailable",
    "__version__",
    "parse_ref",
    "seed_everything",
]
