"""Runs started by ``lineage reproduce --exec``: the command is re-run with the original run's
ref in ``LINEAGE_REPRODUCES`` (and an id for this execution in ``LINEAGE_REPRODUCTION``); every
top-level run the SDK starts in that process is tagged with them, so the CLI finds the new run,
links it to the original (REPRODUCES edge) and verifies it."""

from __future__ import annotations

import os
from collections.abc import Mapping

REPRODUCES_ENV = "LINEAGE_REPRODUCES"
REPRODUCTION_ENV = "LINEAGE_REPRODUCTION"
REPRODUCES_TAG = "lineage.reproduces"
REPRODUCTION_TAG = "lineage.reproduction"


def reproduction_tags(tags: Mapping[str, str], *, top_level: bool) -> dict[str, str]:
    """``tags`` plus the reproduction tags when this process re-runs a recorded run."""
    original = os.environ.get(REPRODUCES_ENV, "").strip()
    if not top_level or not original:
        return dict(tags)
    extra = {REPRODUCES_TAG: original}
    execution = os.environ.get(REPRODUCTION_ENV, "").strip()
    if execution:
        extra[REPRODUCTION_TAG] = execution
    return {**tags, **extra}
