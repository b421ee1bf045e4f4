"""`lineage stack install` fetches the servers' binaries and writes nothing else."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from lineagegraph.cli._localstack import stack_module
from lineagegraph.cli.stack import install_command


@pytest.mark.parametrize("with_next", [False, True])
def test_install_fetches_binaries_and_creates_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_next: bool
):
    mod = stack_module()
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(mod, "install_neo4j", lambda cache, version: calls.append((cache, version)))
    monkeypatch.setattr(mod, "install_versitygw", lambda cache: calls.append((cache,)))
    data, cache = tmp_path / "data", tmp_path / "cache"
    monkeypatch.setenv("LINEAGE_DATA_DIR", str(data))
    monkeypatch.setenv("LINEAGE_CACHE_DIR", str(cache))

    assert install_command(argparse.Namespace(next=with_next)) == 0

    neo4j = [(cache, mod.NEO4J_VERSION)] + ([(cache, mod.NEO4J_NEXT_VERSION)] if with_next else [])
    assert calls == [*neo4j, (cache,)]
    assert not data.exists()  # no credentials.json, no data folder
