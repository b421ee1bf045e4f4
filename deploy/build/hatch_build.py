"""Hatchling build hook: compile the SDK's C log_metrics (service/lineagegraph/sdk/_fastmetrics.c).

Optional by design: training code must install anywhere, so when there is no C compiler or no
Python headers the build says why on stderr and the SDK keeps its pure-Python path (the same
records, ~3x the time inside a NumPy loop). The project's own test suite requires the module
(tests/unit/test_fastmetrics.py), so `make install` on a development machine must build it.

Editable installs (``make install``) put the module beside its source, where the editable
package is imported from (ignored by git); wheels get it under ``lineagegraph/sdk/`` and a
platform tag.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("service/lineagegraph/sdk/_fastmetrics.c")
TARGET = "lineagegraph/sdk/_fastmetrics"


def compile_module(source: Path, target: Path) -> str | None:
    """Build ``source`` into the extension module ``target``; None, or why it failed."""
    linker = sysconfig.get_config_var("LDSHARED") or "cc -shared"
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").exists():
        return f"no Python headers in {include}"
    command = [
        *shlex.split(linker),
        "-O2",
        "-fPIC",
        "-std=c11",
        "-fno-strict-aliasing",
        f"-I{include}",
        str(source),
        "-o",
        str(target),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        return f"{command[0]}: {exc}"
    if done.returncode != 0:
        return f"{shlex.join(command)} failed:\n{done.stderr.strip()}"
    return None


class NativeMetricsHook(BuildHookInterface):  # type: ignore[type-arg]  # generic in hatchling
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        source = Path(self.root) / SOURCE
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        if version == "editable":
            target = source.with_name("_fastmetrics" + suffix)
        else:
            target = Path(tempfile.mkdtemp(prefix="lineagegraph-build-")) / (
                "_fastmetrics" + suffix
            )
        error = compile_module(source, target) if source.exists() else f"{source} is missing"
        if error is not None:
            print(
                f"lineagegraph: the C log_metrics was not built ({error}); the SDK will use "
                "its pure-Python path",
                file=sys.stderr,
            )
            return
        if version != "editable":
            build_data["force_include"][str(target)] = TARGET + suffix
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
