"""The SDK that training code imports: client, background sender, disk spool, provenance."""

from lineagegraph.sdk.artifacts import Artifact
from lineagegraph.sdk.client import Client
from lineagegraph.sdk.reads import Impact, ImpactItem, RunHandle
from lineagegraph.sdk.run import LineageWarning, Run, RunEnded
from lineagegraph.sdk.seeding import seed_everything
from lineagegraph.sdk.sender import EventError

__all__ = [
    "Artifact",
    "Client",
    "EventError",
    "Impact",
    "ImpactItem",
    "LineageWarning",
    "Run",
    "RunEnded",
    "RunHandle",
    "seed_everything",
]
