"""How to re-run a recorded run: the recipe ``lineage reproduce RUN`` prints, and the
environment differences ``--exec`` warns about before it starts.

The recipe lists what was recorded and says plainly what was not (``gaps``): a run without a
commit, or with uncommitted changes whose diff was not kept, cannot be rebuilt exactly.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lineagegraph.models import Provenance
from lineagegraph.repro.inputs import ConsumedArtifact, RunSnapshot
from lineagegraph.repro.keydiff import Change, ChangeKind, diff_mappings, present_fields


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run: str
    name: str | None = None
    steps: list[str]  # shell commands, in order
    python_version: str | None = None
    packages: list[str] = Field(default_factory=list)  # name==version, sorted
    image_digest: str | None = None
    data: list[ConsumedArtifact] = Field(default_factory=list)
    command: str | None = None
    seeds: dict[str, int] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    gaps: list[str] = Field(default_factory=list)  # what was not recorded


def _code_steps(run: RunSnapshot, gaps: list[str]) -> list[str]:
    code = run.provenance.code
    if code is None or not code.commit:
        gaps.append("no git commit recorded: the code version is unknown")
        return []
    steps = []
    if code.remote_url:
        steps.append(f"git clone {shlex.quote(code.remote_url)} repro && cd repro")
    steps.append(f"git checkout {shlex.quote(code.commit)}")
    if code.dirty:
        if code.diff_digest:
            # blobs are content-addressed: the stored diff is fetched by its digest
            steps.append(f"lineage artifact get {code.diff_digest} run.patch")
            steps.append("git apply run.patch")
        else:
            gaps.append("the working tree had uncommitted changes and their diff was not kept")
    elif code.dirty is None:
        gaps.append("unknown whether the working tree was clean")
    return steps


def build_recipe(run: RunSnapshot) -> Recipe:
    gaps: list[str] = []
    steps = _code_steps(run, gaps)
    env = run.provenance.environment
    packages = sorted(f"{n}=={v}" for n, v in ((env.packages or {}) if env else {}).items())
    if packages:
        steps.append("python -m pip install " + " ".join(shlex.quote(p) for p in packages))
    elif env is None or not env.image_digest:
        gaps.append("no package list or container image recorded")
    for item in run.consumed:
        if item.digest is None:
            gaps.append(f"{item.ref} has no digest: the same data cannot be checked")
    code = run.provenance.code
    command = None
    if code and code.command:
        command = shlex.join(code.command)
    elif code and code.entry_point:
        command = f"python {shlex.quote(code.entry_point)}"
    if command:
        steps.append(command)
    else:
        gaps.append("no command or entry point recorded")
    if not run.provenance.seeds:
        gaps.append("no seeds recorded: random results will differ")
    return Recipe(
        run=run.ref,
        name=run.name,
        steps=steps,
        python_version=env.python_version if env else None,
        packages=packages,
        image_digest=env.image_digest if env else None,
        data=list(run.consumed),
        command=command,
        seeds=dict(run.provenance.seeds or {}),
        config=dict(run.provenance.config or {}),
        params=dict(run.params),
        gaps=gaps,
    )


def render_recipe(recipe: Recipe) -> str:
    out = [f"# reproduce {recipe.run}" + (f" ({recipe.name})" if recipe.name else "")]
    if recipe.python_version:
        out.append(f"# python {recipe.python_version}")
    if recipe.image_digest:
        out.append(f"# container image {recipe.image_digest}")
    for item in recipe.data:
        where = f" at {item.uri}" if item.uri else ""
        out.append(f"# data {item.ref} {item.digest or '(no digest)'}{where}")
    if recipe.seeds:
        out.append(f"# seeds {json.dumps(recipe.seeds, sort_keys=True)}")
    if recipe.config:
        out.append(f"# config {json.dumps(recipe.config, sort_keys=True, default=str)}")
    if recipe.params:
        out.append(f"# params {json.dumps(recipe.params, sort_keys=True, default=str)}")
    out += [f"# NOT RECORDED: {gap}" for gap in recipe.gaps]
    out += recipe.steps
    return "\n".join(out)


def environment_changes(recorded: Provenance, current: Provenance) -> list[Change]:
    """Where the environment here differs from the recorded one (Python, platform, packages,
    image, hardware), for ``reproduce --exec`` to warn about before it starts."""

    def env_fields(p: Provenance) -> dict[str, Any]:
        env = p.environment
        if env is None:
            return {}
        fields = {"python_version": env.python_version, "platform": env.platform,
                  "image_digest": env.image_digest}  # fmt: skip
        return {k: v for k, v in fields.items() if v is not None}

    changes = diff_mappings(env_fields(recorded), env_fields(current))
    changes += diff_mappings(
        recorded.environment.packages if recorded.environment else None,
        current.environment.packages if current.environment else None,
        "packages",
    )
    changes += diff_mappings(
        present_fields(recorded.hardware), present_fields(current.hardware), "hardware"
    )
    return changes


def describe_change(change: Change) -> str:
    if change.kind is ChangeKind.ADDED:
        return f"{change.path}: not recorded, here {change.b}"
    if change.kind is ChangeKind.REMOVED:
        return f"{change.path}: recorded {change.a}, missing here"
    return f"{change.path}: recorded {change.a}, here {change.b}"
