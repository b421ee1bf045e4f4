"""The local stack names the port it cannot bind, before it starts anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from lineagegraph.cli._localstack import stack_module


def test_port_in_use_is_named():
    mod = stack_module()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(mod.StackError, match=f"port {port} for Neo4j Bolt is already in use"):
            mod.Neo4jServer(Path("/nonexistent"), port, None).start()


def test_credentials_are_generated_once_and_kept(tmp_path: Path):
    mod = stack_module()
    path = tmp_path / "credentials.json"
    first = mod.Credentials.load_or_create(path)
    second = mod.Credentials.load_or_create(path)
    assert first == second
    assert first.neo4j_password
    assert path.stat().st_mode & 0o077 == 0
