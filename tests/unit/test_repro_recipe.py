"""The reproduce recipe and the environment warnings of `reproduce --exec`."""

from __future__ import annotations

import uuid
from typing import Any

from lineagegraph.models import CodeVersion, Environment, Hardware, Provenance, RunStatus
from lineagegraph.repro.inputs import ConsumedArtifact, RunSnapshot
from lineagegraph.repro.recipe import (
    build_recipe,
    describe_change,
    environment_changes,
    render_recipe,
)

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def run(**provenance: Any) -> RunSnapshot:
    base: dict[str, Any] = {
        "code": CodeVersion(
            commit="abc123", remote_url="https://example.org/ml.git", dirty=False,
            command=["python", "train.py", "--depth", "3"],
        ),
        "environment": Environment(python_version="3.11.7",
                                   packages={"numpy": "2.0.0", "scikit-learn": "1.5.0"}),
        "seeds": {"random": 42},
        "config": {"lr": 0.1},
    }  # fmt: skip
    base.update(provenance)
    return RunSnapshot(
        ref=f"run:{uuid.uuid4()}",
        name="train",
        status=RunStatus.COMPLETED,
        provenance=Provenance(**base),
        params={"depth": 3},
        consumed=[ConsumedArtifact(ref="dataset:iris@v1", digest=D1, uri="s3://b/iris.csv")],
    )


def test_full_recipe_checks_out_installs_and_runs():
    recipe = build_recipe(run())
    assert recipe.gaps == []
    assert recipe.steps == [
        "git clone https://example.org/ml.git repro && cd repro",
        "git checkout abc123",
        "python -m pip install numpy==2.0.0 scikit-learn==1.5.0",
        "python train.py --depth 3",
    ]
    text = render_recipe(recipe)
    assert f"# data dataset:iris@v1 {D1} at s3://b/iris.csv" in text
    assert '# seeds {"random": 42}' in text
    assert '# params {"depth": 3}' in text


def test_dirty_tree_applies_the_stored_diff():
    recipe = build_recipe(run(code=CodeVersion(commit="abc123", dirty=True, diff_digest=D2,
                                               entry_point="train.py")))  # fmt: skip
    assert recipe.steps[:3] == [
        "git checkout abc123",
        f"lineage artifact get {D2} run.patch",
        "git apply run.patch",
    ]
    assert recipe.command == "python train.py"


def test_gaps_are_named():
    bare = RunSnapshot(ref=f"run:{uuid.uuid4()}", status=RunStatus.COMPLETED,
                       consumed=[ConsumedArtifact(ref="dataset:iris@v1")])  # fmt: skip
    recipe = build_recipe(bare)
    assert recipe.steps == []
    assert recipe.gaps == [
        "no git commit recorded: the code version is unknown",
        "no package list or container image recorded",
        "dataset:iris@v1 has no digest: the same data cannot be checked",
        "no command or entry point recorded",
        "no seeds recorded: random results will differ",
    ]
    assert "# NOT RECORDED: no seeds recorded" in render_recipe(recipe)
    lost = build_recipe(run(code=CodeVersion(commit="abc", dirty=True, command=["x"])))
    assert lost.gaps == ["the working tree had uncommitted changes and their diff was not kept"]


def test_environment_changes_name_every_difference():
    recorded = run().provenance
    here = Provenance(
        environment=Environment(python_version="3.12.0",
                                packages={"numpy": "2.1.0", "torch": "2.3.0"}),
        hardware=Hardware(cpu_count=4),
    )  # fmt: skip
    lines = [describe_change(c) for c in environment_changes(recorded, here)]
    assert lines == [
        "python_version: recorded 3.11.7, here 3.12.0",
        "packages.numpy: recorded 2.0.0, here 2.1.0",
        "packages.scikit-learn: recorded 1.5.0, missing here",
        "packages.torch: not recorded, here 2.3.0",
        "hardware.cpu_count: not recorded, here 4",
    ]
    assert environment_changes(recorded, recorded) == []
