"""What the gate needs to know about a model, gathered from the graph by the wiring."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from lineagegraph.models import Interval, MetricValue
from lineagegraph.repro.inputs import RunSnapshot
from lineagegraph.repro.levels import Level


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportSnapshot(_Frozen):
    """An EvaluationReport of the model: overall point metrics, and per slice ("country=FR",
    "overall") metrics with confidence intervals."""

    ref: str
    name: str
    created_at: datetime | None = None
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    slices: dict[str, dict[str, Interval]] = Field(default_factory=dict)


class DeprecatedUpstream(_Frozen):
    ref: str  # the deprecated artifact
    reason: str | None = None
    sunset: date | None = None
    replacement: str | None = None
    path: list[str] = Field(default_factory=list)  # refs from it down to the model


class ModelFacts(_Frozen):
    ref: str  # model:<name>@<version>
    producing_run: RunSnapshot | None = None
    reports: list[ReportSnapshot] = Field(default_factory=list)
    # per metric, the final value of each trial run (repeated trainings of this model's recipe)
    trials: dict[str, list[MetricValue]] = Field(default_factory=dict)


class GateFacts(_Frozen):
    model: ModelFacts
    deprecated_upstream: list[DeprecatedUpstream] = Field(default_factory=list)
    verified_level: Level | None = None  # the highest level verified for the producing run
    verified_by: str | None = None  # the ReproducibilityCheck that verified it
    baseline: ModelFacts | None = None  # resolved from policy.improvement.baseline, if found
