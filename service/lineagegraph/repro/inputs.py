"""What the graph holds about a run, as the reproducibility logic needs it.

The wiring (CLI, GraphQL) builds these from the stored Run node and its CONSUMED/PRODUCED
edges; nothing here reads the graph or S3. ``ProducedArtifact.local_path`` is where the wiring
put the bytes of an ``.npy``/``.npz`` output when the algorithmic level needs to load them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lineagegraph.models import ArtifactStatus, MetricValue, Provenance, RunStatus

ARRAY_SUFFIXES = (".npy", ".npz")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsumedArtifact(_Frozen):
    ref: str  # dataset:<name>@<version>, feature:<name>@<version>, model:..., report:...
    digest: str | None = None
    uri: str | None = None


class ProducedArtifact(_Frozen):
    name: str  # outputs are paired across runs by this name (versions differ per run)
    ref: str
    digest: str | None = None
    media_type: str | None = None
    uri: str | None = None
    local_path: Path | None = None
    status: ArtifactStatus = ArtifactStatus.AVAILABLE
    # numbers carried by an artifact without bytes, e.g. an evaluation report's metrics and
    # its slices as "country=FR/auc": compared exactly (bitwise) or within tolerance
    values: dict[str, MetricValue] = Field(default_factory=dict)

    @property
    def is_array(self) -> bool:
        """An ``.npy``/``.npz`` output whose arrays the algorithmic level compares."""
        candidates = [self.name, self.uri or "", str(self.local_path or "")]
        return any(text.lower().endswith(ARRAY_SUFFIXES) for text in candidates)


class RunSnapshot(_Frozen):
    ref: str  # run:<uuid>
    name: str | None = None
    status: RunStatus = RunStatus.RUNNING
    provenance: Provenance = Field(default_factory=Provenance)
    params: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    consumed: list[ConsumedArtifact] = Field(default_factory=list)
    produced: list[ProducedArtifact] = Field(default_factory=list)
    final_metrics: dict[str, MetricValue] = Field(default_factory=dict)  # last value per key
