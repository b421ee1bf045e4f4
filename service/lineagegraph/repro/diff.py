"""A structured comparison of two runs across every provenance dimension and their outcomes.

Sections, in this order: code, environment (packages added/removed/changed, Python, platform,
image), hardware, config, params, seeds, data_filters, run (status, user). Consumed data and
produced artifacts are paired per artifact (``inputs``, ``outputs``); final metrics per key with
their difference. Nothing is hidden: an identical dimension has an empty change list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from lineagegraph.errors import BadInput
from lineagegraph.refs import Ref, parse_ref
from lineagegraph.repro.inputs import ConsumedArtifact, ProducedArtifact, RunSnapshot
from lineagegraph.repro.keydiff import Change, diff_mappings, present_fields

SECTIONS = (
    "code",
    "environment",
    "hardware",
    "config",
    "params",
    "seeds",
    "data_filters",
    "run",
)
DIMENSIONS = ("code", "data", *SECTIONS[1:], "outputs", "metrics")
# diff_ref points at the stored diff bytes of each run; diff_digest already says if they differ
_CODE_FIELDS = ("commit", "branch", "remote_url", "dirty", "diff_digest", "entry_point", "command")
_ENV_FIELDS = ("python_version", "platform", "packages_digest", "image_digest")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pairing(StrEnum):
    EQUAL = "equal"  # same digest (or the same immutable ref when digests are missing)
    DIFFERENT = "different"
    UNKNOWN = "unknown"  # a digest is missing: cannot tell
    ONLY_A = "only_a"
    ONLY_B = "only_b"


class ArtifactPair(_Frozen):
    key: str  # consumed: the ref without its version; produced: the artifact name
    ref_a: str | None = None
    ref_b: str | None = None
    digest_a: str | None = None
    digest_b: str | None = None
    status: Pairing


class MetricPair(_Frozen):
    key: str
    a: float | None = None
    b: float | None = None
    difference: float | None = None  # b - a
    relative: float | None = None  # (b - a) / |a|

    @property
    def equal(self) -> bool:
        if self.a is None or self.b is None:
            return False
        return self.a == self.b or (math.isnan(self.a) and math.isnan(self.b))


class Section(_Frozen):
    name: str
    changes: list[Change]


class RunDiff(_Frozen):
    a: str
    b: str
    sections: list[Section]
    inputs: list[ArtifactPair]
    outputs: list[ArtifactPair]
    metrics: list[MetricPair]

    def section(self, name: str) -> Section:
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)

    @property
    def changed_dimensions(self) -> list[str]:
        """Names of the dimensions that differ, for a one-line summary."""
        changed = {s.name for s in self.sections if s.changes}
        if any(p.status is not Pairing.EQUAL for p in self.inputs):
            changed.add("data")
        if any(p.status is not Pairing.EQUAL for p in self.outputs):
            changed.add("outputs")
        if any(not m.equal for m in self.metrics):
            changed.add("metrics")
        return [name for name in DIMENSIONS if name in changed]


def _pair(key: str, a: Any, b: Any) -> ArtifactPair:
    ref_a, digest_a = (a.ref, a.digest) if a is not None else (None, None)
    ref_b, digest_b = (b.ref, b.digest) if b is not None else (None, None)
    if a is None:
        status = Pairing.ONLY_B
    elif b is None:
        status = Pairing.ONLY_A
    elif digest_a is not None and digest_b is not None:
        status = Pairing.EQUAL if digest_a == digest_b else Pairing.DIFFERENT
    elif ref_a == ref_b:
        status = Pairing.EQUAL  # the same artifact node: refs are immutable
    else:
        status = Pairing.UNKNOWN
    return ArtifactPair(
        key=key, ref_a=ref_a, ref_b=ref_b, digest_a=digest_a, digest_b=digest_b, status=status
    )


def _input_key(ref: str) -> str:
    parsed = parse_ref(ref, field="consumed.ref")
    return str(Ref(parsed.kind, parsed.name)) if parsed.version else ref


def _keyed_inputs(items: Sequence[ConsumedArtifact]) -> dict[str, ConsumedArtifact]:
    keys = [_input_key(item.ref) for item in items]
    # a run consuming two versions of one dataset keeps both, each by its full ref
    return {
        (key if keys.count(key) == 1 else item.ref): item
        for key, item in zip(keys, items, strict=True)
    }


def pair_inputs(a: RunSnapshot, b: RunSnapshot) -> list[ArtifactPair]:
    """Consumed artifacts paired by identity (kind and name): a new snapshot version of the
    same dataset shows as one changed input, not as one removed and one added."""
    left, right = _keyed_inputs(a.consumed), _keyed_inputs(b.consumed)
    return [_pair(key, left.get(key), right.get(key)) for key in sorted(left.keys() | right.keys())]


def pair_outputs(a: RunSnapshot, b: RunSnapshot) -> list[ArtifactPair]:
    """Produced artifacts paired by name (each run registers its own versions)."""
    left = _by_name(a.produced, a.ref)
    right = _by_name(b.produced, b.ref)
    return [_pair(key, left.get(key), right.get(key)) for key in sorted(left.keys() | right.keys())]


def _by_name(items: Sequence[ProducedArtifact], run: str) -> dict[str, ProducedArtifact]:
    out: dict[str, ProducedArtifact] = {}
    for item in items:
        if item.name in out:
            raise BadInput(
                f"{run} produced two artifacts named {item.name!r} ({out[item.name].ref}, "
                f"{item.ref}): outputs are paired by name",
                field="produced",
            )
        out[item.name] = item
    return out


def _metric(key: str, a: float | None, b: float | None) -> MetricPair:
    difference = relative = None
    if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
        difference = b - a
        relative = difference / abs(a) if a != 0 else None
    return MetricPair(key=key, a=a, b=b, difference=difference, relative=relative)


def compare_metrics(a: RunSnapshot, b: RunSnapshot) -> list[MetricPair]:
    keys = sorted(a.final_metrics.keys() | b.final_metrics.keys())
    return [_metric(k, a.final_metrics.get(k), b.final_metrics.get(k)) for k in keys]


def _fields(model: BaseModel | None, names: Sequence[str]) -> dict[str, Any]:
    if model is None:
        return {}
    dumped = model.model_dump(mode="json")
    return {name: dumped[name] for name in names if dumped.get(name) is not None}


def _sections(a: RunSnapshot, b: RunSnapshot) -> list[Section]:
    pa, pb = a.provenance, b.provenance
    env_a, env_b = pa.environment, pb.environment
    environment = diff_mappings(_fields(env_a, _ENV_FIELDS), _fields(env_b, _ENV_FIELDS))
    environment += diff_mappings(
        env_a.packages if env_a else None, env_b.packages if env_b else None, "packages"
    )
    run_a = {"status": a.status.value, "user": pa.user}
    run_b = {"status": b.status.value, "user": pb.user}
    changes = {
        "code": diff_mappings(_fields(pa.code, _CODE_FIELDS), _fields(pb.code, _CODE_FIELDS)),
        "environment": environment,
        "hardware": diff_mappings(present_fields(pa.hardware), present_fields(pb.hardware)),
        "config": diff_mappings(pa.config, pb.config),
        "params": diff_mappings(a.params, b.params),
        "seeds": diff_mappings(pa.seeds, pb.seeds),
        "data_filters": diff_mappings(pa.data_filters, pb.data_filters),
        "run": diff_mappings(run_a, run_b),
    }
    return [Section(name=name, changes=changes[name]) for name in SECTIONS]


def diff_runs(a: RunSnapshot, b: RunSnapshot) -> RunDiff:
    """Compare two runs. Comparing a run with itself is an error (it can only say "same")."""
    if a.ref == b.ref:
        raise BadInput(f"cannot diff {a.ref} with itself: give two different runs", field="b")
    return RunDiff(
        a=a.ref,
        b=b.ref,
        sections=_sections(a, b),
        inputs=pair_inputs(a, b),
        outputs=pair_outputs(a, b),
        metrics=compare_metrics(a, b),
    )
