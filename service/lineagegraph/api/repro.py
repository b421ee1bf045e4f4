"""GraphQL for reproducibility: ``runDiff``, ``verifyRuns``, ``recordReproduction``,
``reproducibilityCheck``, and the run fields ``reproducibilityChecks``/``highestVerifiedLevel``.

Each result carries the structured answer, its JSON document (``json``, for tools) and the human
table the CLI prints (``text``), all made by ``lineagegraph.repro.render``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from lineagegraph.api.context import Context, in_thread
from lineagegraph.api.permissions import CanRead, CanWrite
from lineagegraph.api.types import Info, Run, wrap
from lineagegraph.errors import NotFound
from lineagegraph.graph.repro_store import ReproStore, StoredCheck, check_ref, run_ref
from lineagegraph.repro.diff import ArtifactPair, MetricPair, RunDiff
from lineagegraph.repro.diff import diff_runs as compare_runs
from lineagegraph.repro.levels import Level
from lineagegraph.repro.render import diff_json, render_diff, render_verdict, verdict_json
from lineagegraph.repro.verdict import Outcome, Verdict, json_safe

_READ: list[type[BasePermission]] = [CanRead]
_WRITE: list[type[BasePermission]] = [CanWrite]

strawberry.enum(Level, name="ReproducibilityLevel")
strawberry.enum(Outcome, name="EvidenceOutcome")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# --- output types -------------------------------------------------------------------------------
@strawberry.type(description="One item a check judged: an artifact, an array, a metric.")
class ReproEvidence:
    level: Level
    item: str
    outcome: Outcome
    detail: str
    data: JSON


@strawberry.type(
    description="A stored verdict: the level asked and achieved, the runs compared (side A is "
    "the original or reference group), the parameters and the evidence per item."
)
class ReproducibilityCheck:
    verdict: strawberry.Private[Verdict]
    side: str | None = strawberry.field(
        default=None, description="A or B: the side of the run this check was reached from."
    )

    @strawberry.field(description="check:<uuid>")
    def ref(self) -> str:
        return f"check:{self.verdict.check_id}"

    @strawberry.field
    def level_requested(self) -> Level:
        return self.verdict.level_requested

    @strawberry.field(description="The strongest level that held; null when none did.")
    def level_achieved(self) -> Level | None:
        return self.verdict.level_achieved

    @strawberry.field(description="The level asked was reached.")
    def passed(self) -> bool:
        return self.verdict.passed

    @strawberry.field
    def runs_a(self) -> list[str]:
        return list(self.verdict.runs_a)

    @strawberry.field
    def runs_b(self) -> list[str]:
        return list(self.verdict.runs_b)

    @strawberry.field(description="Tolerances, or test, margin, confidence and trial minimum.")
    def parameters(self) -> JSON:
        return JSON(json_safe(self.verdict.parameters))

    @strawberry.field
    def evidence(self) -> list[ReproEvidence]:
        return [
            ReproEvidence(
                level=e.level,
                item=e.item,
                outcome=e.outcome,
                detail=e.detail,
                data=JSON(json_safe(e.data)),
            )
            for e in self.verdict.evidence
        ]

    @strawberry.field
    def failed_items(self) -> int:
        return len(self.verdict.failures)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.verdict.created_at

    @strawberry.field(description="The verdict as a JSON document.")
    def json(self) -> JSON:
        return JSON(verdict_json(self.verdict))

    @strawberry.field(description="The verdict as the CLI's table.")
    def text(self) -> str:
        return render_verdict(self.verdict)


@strawberry.type(description="The strongest level a passed check verified for a run.")
class VerifiedLevel:
    level: Level
    check: str = strawberry.field(description="The ReproducibilityCheck that verified it.")


@strawberry.type
class DiffChange:
    path: str = strawberry.field(description="Dotted key path, e.g. optimizer.lr")
    kind: str = strawberry.field(description="added (only in b), removed (only in a), changed")
    a: JSON | None
    b: JSON | None


@strawberry.type
class DiffSection:
    name: str
    changes: list[DiffChange]


@strawberry.type(description="Artifacts of the two runs paired by identity (inputs) or name.")
class ArtifactComparison:
    key: str
    ref_a: str | None
    ref_b: str | None
    digest_a: str | None
    digest_b: str | None
    status: str = strawberry.field(description="equal, different, unknown, only_a, only_b")

    @classmethod
    def of(cls, pair: ArtifactPair) -> ArtifactComparison:
        return cls(
            key=pair.key,
            ref_a=pair.ref_a,
            ref_b=pair.ref_b,
            digest_a=pair.digest_a,
            digest_b=pair.digest_b,
            status=pair.status.value,
        )


@strawberry.type(description="A final metric of both runs; non-finite values are null.")
class MetricComparison:
    key: str
    a: float | None
    b: float | None
    difference: float | None
    relative: float | None
    equal: bool

    @classmethod
    def of(cls, pair: MetricPair) -> MetricComparison:
        return cls(
            key=pair.key,
            a=_finite(pair.a),
            b=_finite(pair.b),
            difference=_finite(pair.difference),
            relative=_finite(pair.relative),
            equal=pair.equal,
        )


@strawberry.type(name="RunDiff", description="Two runs compared on every provenance dimension.")
class RunDiffResult:
    diff: strawberry.Private[RunDiff]

    @strawberry.field
    def a(self) -> str:
        return self.diff.a

    @strawberry.field
    def b(self) -> str:
        return self.diff.b

    @strawberry.field(description="code, data, environment, ..., outputs, metrics that differ.")
    def changed_dimensions(self) -> list[str]:
        return self.diff.changed_dimensions

    @strawberry.field
    def sections(self) -> list[DiffSection]:
        return [
            DiffSection(
                name=s.name,
                changes=[
                    DiffChange(
                        path=c.path,
                        kind=c.kind.value,
                        a=JSON(json_safe(c.a)) if c.a is not None else None,
                        b=JSON(json_safe(c.b)) if c.b is not None else None,
                    )
                    for c in s.changes
                ],
            )
            for s in self.diff.sections
        ]

    @strawberry.field(description="Consumed data, paired by kind and name.")
    def inputs(self) -> list[ArtifactComparison]:
        return [ArtifactComparison.of(p) for p in self.diff.inputs]

    @strawberry.field(description="Produced artifacts, paired by name.")
    def outputs(self) -> list[ArtifactComparison]:
        return [ArtifactComparison.of(p) for p in self.diff.outputs]

    @strawberry.field
    def metrics(self) -> list[MetricComparison]:
        return [MetricComparison.of(m) for m in self.diff.metrics]

    @strawberry.field(description="The diff as a JSON document.")
    def json(self) -> JSON:
        return JSON(diff_json(self.diff))

    @strawberry.field(description="The diff as the CLI's table (what differs).")
    def text(self, all_rows: bool = False) -> str:
        return render_diff(self.diff, all_rows=all_rows)


@strawberry.type(description="A run re-executed from another's recipe.")
class ReproductionLink:
    original: Run
    reproduction: Run


# --- inputs -----------------------------------------------------------------------------------
@strawberry.input(
    description="What to verify. bitwise/algorithmic: runs a (original) and b (re-run). "
    "statistical: groupA and groupB, each a list of run refs or key=value tag selectors "
    "(completed runs carrying the tag)."
)
class VerifyRunsInput:
    level: Level
    a: str | None = None
    b: str | None = None
    group_a: list[str] | None = None
    group_b: list[str] | None = None
    rtol: float | None = strawberry.field(default=None, description="default 1e-5")
    atol: float | None = strawberry.field(default=None, description="default 1e-8")
    margin: float | None = strawberry.field(
        default=None, description="Absolute equivalence margin (default: relativeMargin)."
    )
    relative_margin: float | None = strawberry.field(
        default=None, description="Margin as a fraction of group A's mean (default 0.02)."
    )
    confidence: float | None = strawberry.field(default=None, description="default 0.95")
    method: str | None = strawberry.field(default=None, description="tost, bootstrap or both")
    min_trials: int | None = None
    metric_keys: list[str] | None = strawberry.field(
        default=None, description="Metrics to compare (default: every metric logged)."
    )


@strawberry.input
class RecordReproductionInput:
    original: str
    reproduction: str


# --- per-request loaders for the Run fields ---------------------------------------------------
class _Loaders:
    def __init__(self, store: ReproStore) -> None:
        self.checks: DataLoader[str, list[StoredCheck]] = DataLoader(self._checks)
        self.levels: DataLoader[str, tuple[Level, str] | None] = DataLoader(self._levels)
        self.reproduces: DataLoader[str, list[str]] = DataLoader(self._reproduces)
        self.store = store

    async def _checks(self, refs: list[str]) -> list[list[StoredCheck]]:
        found = await in_thread(self.store.checks_of, list(refs))
        return [found.get(ref, []) for ref in refs]

    async def _levels(self, refs: list[str]) -> list[tuple[Level, str] | None]:
        found = await in_thread(self.store.highest_verified_levels, list(refs))
        return [found.get(ref) for ref in refs]

    async def _reproduces(self, refs: list[str]) -> list[list[str]]:
        found = await in_thread(self.store.reproduces, list(refs))
        return [found.get(ref, []) for ref in refs]


def _store(context: Context) -> ReproStore:
    return ReproStore.of(context.store)


def _loaders(context: Context) -> _Loaders:
    loaders = getattr(context, "_repro_loaders", None)
    if not isinstance(loaders, _Loaders):
        loaders = _Loaders(_store(context))
        setattr(context, "_repro_loaders", loaders)  # noqa: B010 (one per request)
    return loaders


def _check(stored: StoredCheck) -> ReproducibilityCheck:
    return ReproducibilityCheck(verdict=stored.to_verdict(), side=stored.side)


async def run_checks(info: Info, ref: str) -> list[ReproducibilityCheck]:
    return [_check(c) for c in await _loaders(info.context).checks.load(ref)]


async def run_highest_level(info: Info, ref: str) -> VerifiedLevel | None:
    found = await _loaders(info.context).levels.load(ref)
    return None if found is None else VerifiedLevel(level=found[0], check=found[1])


async def run_reproduces(info: Info, ref: str) -> list[Run]:
    originals = await _loaders(info.context).reproduces.load(ref)
    nodes = await info.context.loaders.nodes.load_many(originals)
    return [n for n in (wrap(node) for node in nodes) if isinstance(n, Run)]


def _fetcher(context: Context) -> Any:
    from functools import partial

    from lineagegraph.api.repro_verify import artifact_bytes

    resources = getattr(context.request.state, "resources", None)
    s3 = getattr(resources, "s3", None)
    return partial(artifact_bytes, s3=s3, bucket=context.settings.s3_bucket)


# --- queries and mutations --------------------------------------------------------------------
@strawberry.type
class ReproQuery:
    @strawberry.field(
        permission_classes=_READ,
        description="What differs between two runs: code, data, environment, hardware, config, "
        "params, seeds, data filters, outputs and final metrics.",
    )
    async def run_diff(self, info: Info, a: str, b: str) -> RunDiffResult:
        ref_a, ref_b = run_ref(a, "a"), run_ref(b, "b")
        store = _store(info.context)
        run_a, run_b = await in_thread(store.require_snapshots, [(ref_a, "a"), (ref_b, "b")])
        return RunDiffResult(diff=compare_runs(run_a, run_b))

    @strawberry.field(permission_classes=_READ, description="A stored check by its ref.")
    async def reproducibility_check(self, info: Info, ref: str) -> ReproducibilityCheck:
        canonical = check_ref(ref)
        found = await in_thread(_store(info.context).get_check, canonical)
        if found is None:
            raise NotFound(f"{canonical} does not exist", field="ref")
        return _check(found)


@strawberry.type
class ReproMutation:
    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Verify that runs reproduce at a level; the verdict is stored as a "
        "ReproducibilityCheck linked to the runs and returned with its evidence.",
    )
    async def verify_runs(self, info: Info, input: VerifyRunsInput) -> ReproducibilityCheck:
        from lineagegraph.api.repro_verify import (
            VerifyRequest,
            run_verification,
            statistical_of,
            tolerance_of,
        )

        request = VerifyRequest(
            level=Level(input.level),
            a=input.a,
            b=input.b,
            group_a=list(input.group_a or []),
            group_b=list(input.group_b or []),
            tolerance=tolerance_of(input.rtol, input.atol),
            statistical=statistical_of(
                margin=input.margin,
                relative_margin=input.relative_margin,
                confidence=input.confidence,
                method=input.method,
                min_trials=input.min_trials,
            ),
            metric_keys=list(input.metric_keys) if input.metric_keys else None,
        )
        verdict = await in_thread(
            run_verification, _store(info.context), request, _fetcher(info.context)
        )
        return ReproducibilityCheck(verdict=verdict)

    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Record that one run re-executed another (REPRODUCES edge; idempotent).",
    )
    async def record_reproduction(
        self, info: Info, input: RecordReproductionInput
    ) -> ReproductionLink:
        store = _store(info.context)
        await in_thread(store.link_reproduction, input.original, input.reproduction)
        nodes = await in_thread(
            info.context.store.get_nodes,
            [run_ref(input.original, "original"), run_ref(input.reproduction, "reproduction")],
        )
        original = wrap(nodes.get(run_ref(input.original, "original")))
        reproduction = wrap(nodes.get(run_ref(input.reproduction, "reproduction")))
        assert isinstance(original, Run)
        assert isinstance(reproduction, Run)
        return ReproductionLink(original=original, reproduction=reproduction)
