"""Loads deploy/local/stack.py, the local stack manager, from the repository checkout."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from lineagegraph.errors import ConfigError


def stack_module() -> ModuleType:
    name = "lineagegraph_local_stack"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[3] / "deploy" / "local" / "stack.py"
    if not path.is_file():
        raise ConfigError(
            f"the local stack manager {path} is not here: `lineage stack` runs from a checkout "
            "of the repository (pip install -e '.[server]')"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
