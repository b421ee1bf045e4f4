"""The requirements about where a model came from: provenance, deprecation, reproducibility."""

from __future__ import annotations

from lineagegraph.gate.facts import GateFacts
from lineagegraph.gate.outcome import Check, RequirementResult
from lineagegraph.gate.policy import ProvenanceRequirement
from lineagegraph.repro.levels import Level, satisfies


def check_provenance(req: ProvenanceRequirement, facts: GateFacts) -> RequirementResult:
    run = facts.model.producing_run
    if run is None:
        missing = Check(item="producing run", passed=False, detail="no producing run recorded")
        return RequirementResult(requirement="provenance", checks=[missing])
    code, env = run.provenance.code, run.provenance.environment
    checks: list[Check] = []
    if req.commit:
        commit = code.commit if code else None
        detail = f"commit {commit}" if commit else "no git commit recorded"
        checks.append(Check(item="commit", passed=bool(commit), detail=detail))
    if req.clean_tree:
        dirty = code.dirty if code else None
        detail = {
            False: "working tree clean",
            True: "working tree had uncommitted changes",
            None: "unknown whether the working tree was clean",
        }[dirty]
        data = {"diff_digest": code.diff_digest} if code and code.diff_digest else {}
        checks.append(Check(item="clean tree", passed=dirty is False, detail=detail, data=data))
    if req.environment:
        fingerprint = (env.packages_digest or env.image_digest) if env else None
        detail = f"fingerprint {fingerprint}" if fingerprint else "no environment fingerprint"
        checks.append(Check(item="environment", passed=bool(fingerprint), detail=detail))
    if req.input_digests:
        undigested = [item.ref for item in run.consumed if not item.digest]
        if not run.consumed:
            ok, detail = False, "the run recorded no consumed artifact"
        elif undigested:
            ok, detail = False, f"no digest for {', '.join(undigested)}"
        else:
            ok, detail = True, f"{len(run.consumed)} consumed artifact(s), all with digests"
        checks.append(Check(item="input digests", passed=ok, detail=detail))
    if req.seeds:
        seeds = run.provenance.seeds or {}
        detail = f"seeds {seeds}" if seeds else "no seeds recorded"
        checks.append(Check(item="seeds", passed=bool(seeds), detail=detail))
    if not checks:
        checks.append(Check(item="provenance", passed=True, detail="no sub-check asked"))
    return RequirementResult(requirement="provenance", checks=checks)


def check_deprecation(facts: GateFacts) -> RequirementResult:
    if not facts.deprecated_upstream:
        ok = Check(item="upstream", passed=True, detail="no deprecated artifact upstream")
        return RequirementResult(requirement="no_deprecated_upstream", checks=[ok])
    checks = []
    for item in facts.deprecated_upstream:
        parts = [f"deprecated: {item.reason or 'no reason given'}"]
        if item.sunset:
            parts.append(f"sunset {item.sunset.isoformat()}")
        if item.replacement:
            parts.append(f"replacement {item.replacement}")
        data = {"path": item.path} if item.path else {}
        checks.append(Check(item=item.ref, passed=False, detail="; ".join(parts), data=data))
    return RequirementResult(requirement="no_deprecated_upstream", checks=checks)


def check_reproducibility(required: Level, facts: GateFacts) -> RequirementResult:
    achieved = facts.verified_level
    ok = satisfies(achieved, required)
    reached = achieved.value if achieved else "none"
    detail = f"highest verified level {reached}, required {required.value}"
    data = {"check": facts.verified_by} if facts.verified_by else {}
    check = Check(item="verified level", passed=ok, detail=detail, data=data)
    return RequirementResult(requirement="reproducibility", checks=[check])
