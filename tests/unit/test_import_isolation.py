"""Training code installs the base package: importing it must not load the server's dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_ONLY = {"neo4j", "strawberry", "starlette", "uvicorn", "minio", "graphql"}


def test_import_lineagegraph_loads_no_server_dependency():
    code = (
        "import sys, json, lineagegraph, lineagegraph.sdk;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert "lineagegraph" in loaded
    assert loaded & SERVER_ONLY == set()
