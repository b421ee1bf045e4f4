"""The pieces of deploy/demo/repro_demo.py against the test service: its scikit-learn training
recorded through the SDK, bitwise reached with the same seed and not with another, the diff
naming a changed hyper-parameter, and ``reproduce --exec`` of the command the demo records. (The
whole demo, with its five-trial groups, takes minutes: its output is in deploy/demo/README.md.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import lineagegraph as lg
from lineagegraph.cli.main import main as lineage_main

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "repro_demo.py"


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("repro_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["repro_demo"] = module
    spec.loader.exec_module(module)
    return module


def test_demo_training_reproduces_bitwise_and_diff_names_the_parameter(
    demo, live_service, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("LINEAGE_URL", live_service.url)
    monkeypatch.setenv("LINEAGE_SPOOL_DIR", str(tmp_path / "spool"))
    out = tmp_path / "out"
    with lg.Client(handle_sigterm=False) as client:

        def train(seed: int, max_depth: int | None = None) -> str:
            ref: str = demo.train(
                client,
                out,
                seed=seed,
                n_estimators=5,
                max_depth=max_depth,
                command=demo.train_command(seed, 5, max_depth, out),
            )
            return ref

        first, second, other, shallow = train(0), train(0), train(1), train(0, max_depth=1)
        assert client.flush(60) == 0
        assert client.errors == []
    url = ["--url", live_service.url]

    assert lineage_main(["verify", first, second, "--level", "bitwise", *url]) == 0
    assert "artifact forest.pkl         pass" in capsys.readouterr().out
    assert lineage_main(["verify", first, other, "--level", "bitwise", *url]) == 1
    assert "digests differ" in capsys.readouterr().out
    assert lineage_main(["diff", first, shallow, *url]) == 0
    table = capsys.readouterr().out
    assert "config     max_depth" in table
    assert "params     max_depth" in table

    # the command recorded for an in-process training re-runs it: bitwise again
    assert lineage_main(["reproduce", first, "--exec", "--level", "bitwise", *url]) == 0
    captured = capsys.readouterr()
    assert "REACHED" in captured.out
    assert f"REPRODUCES {first}" in captured.err
