"""The gate policy: what a model must satisfy to ship. Every key is checked: an unknown key, a
wrong type or a bad operator is an error naming where it is (see ``policy_file.py``).

Thresholds are written as text, ``auc >= 0.90`` or ``slice country=* auc >= 0.85``, or as a
mapping ``{metric, op, value, slice, bound}``; ``bound: low`` compares the lower end of the
metric's confidence interval instead of its point estimate.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lineagegraph.errors import BadInput
from lineagegraph.refs import NodeKind, parse_ref
from lineagegraph.repro.levels import Level

OPERATORS = (">=", ">", "<=", "<")
Operator = Literal[">=", ">", "<=", "<"]
OVERALL_SLICE = "overall"  # the slice of a report holding the overall metrics' intervals

_THRESHOLD = re.compile(
    r"^\s*(?:slice\s+(?P<slice>\S+)\s+)?(?P<metric>[^\s<>=!]+)\s*(?P<op>[<>=!]+)\s*(?P<value>\S+)\s*$"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProvenanceRequirement(_Strict):
    commit: bool = True  # the producing run recorded its git commit
    clean_tree: bool = True  # ... and the working tree was clean
    environment: bool = True  # an environment fingerprint: packages digest or image digest
    input_digests: bool = True  # it consumed registered artifacts, every one with a digest
    seeds: bool = True  # the seeds it set are recorded


def parse_threshold(text: str) -> dict[str, Any]:
    """``[slice <pattern>] <metric> <op> <number>`` into the fields of a Threshold."""
    match = _THRESHOLD.match(text)
    if match is None:
        raise ValueError(
            f"cannot read threshold {text!r}: expected '<metric> <op> <number>' or "
            "'slice <pattern> <metric> <op> <number>'"
        )
    op = match["op"]
    if op not in OPERATORS:
        raise ValueError(
            f"unknown operator {op!r} in {text!r} (use one of: {', '.join(OPERATORS)})"
        )
    try:
        value = float(match["value"])
    except ValueError:
        raise ValueError(
            f"threshold value {match['value']!r} in {text!r} is not a number"
        ) from None
    return {"metric": match["metric"], "op": op, "value": value, "slice": match["slice"]}


class Threshold(_Strict):
    metric: str = Field(min_length=1)
    op: Operator
    value: float = Field(allow_inf_nan=False)
    slice: str | None = None  # a slice pattern; None = the overall metric
    bound: Literal["value", "low", "high"] = "value"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return parse_threshold(data) if isinstance(data, str) else data

    def holds(self, observed: float) -> bool:
        if math.isnan(observed):
            return False
        return {
            ">=": observed >= self.value,
            ">": observed > self.value,
            "<=": observed <= self.value,
            "<": observed < self.value,
        }[self.op]

    def __str__(self) -> str:
        where = f"slice {self.slice} " if self.slice else ""
        bound = "" if self.bound == "value" else f".{self.bound}"
        return f"{where}{self.metric}{bound} {self.op} {self.value:g}"


class EvaluationRequirement(_Strict):
    report: str | None = None  # the report name to use; default: the model's newest report
    thresholds: list[Threshold] = Field(min_length=1)


class BaselineSpec(_Strict):
    deployed: str | None = Field(None, min_length=1)  # the model deployed in this environment
    model: str | None = None  # or a named model: model:<name>@<version>

    @field_validator("model")
    @classmethod
    def _model_ref(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            kind = parse_ref(value, field="model").kind
        except BadInput as exc:
            raise ValueError(exc.message) from None
        if kind is not NodeKind.MODEL:
            raise ValueError(f"{value!r} is not a model ref (model:<name>@<version>)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> BaselineSpec:
        if (self.deployed is None) == (self.model is None):
            raise ValueError("give exactly one of 'deployed' (an environment) or 'model' (a ref)")
        return self


class ImprovedMetric(_Strict):
    metric: str = Field(min_length=1)
    direction: Literal["higher", "lower"] = "higher"  # which way is better
    min_delta: float = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"metric": data} if isinstance(data, str) else data


class ImprovementRequirement(_Strict):
    baseline: BaselineSpec
    metrics: list[ImprovedMetric] = Field(min_length=1)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    evidence: Literal["auto", "intervals", "trials"] = "auto"  # auto: trials when both have them
    slice: str = OVERALL_SLICE  # where the reports' intervals are read
    min_trials: int = Field(3, ge=2)
    when_no_baseline: Literal["pass", "fail"] = "fail"


class GatePolicy(_Strict):
    version: Literal[1] = 1
    provenance: ProvenanceRequirement | None = None
    no_deprecated_upstream: bool = False
    reproducibility: Level | None = None  # the minimum verified level of the producing run
    evaluation: EvaluationRequirement | None = None
    improvement: ImprovementRequirement | None = None

    @field_validator("provenance", mode="before")
    @classmethod
    def _provenance_flag(cls, value: Any) -> Any:
        if value is True:
            return {}
        return None if value is False else value

    @model_validator(mode="after")
    def _requires_something(self) -> GatePolicy:
        if not (
            self.provenance
            or self.no_deprecated_upstream
            or self.reproducibility
            or self.evaluation
            or self.improvement
        ):
            raise ValueError("the policy requires nothing: a gate that passes every model")
        return self
