"""The C writer for ``run.log_metrics`` (``_fastmetrics.c``), when it was built for this
interpreter; None otherwise (a pure-Python install: the same records, written by run.py)."""

from __future__ import annotations

from typing import Any

metrics_writer: Any
try:
    from lineagegraph.sdk import _fastmetrics
except ImportError:  # not built (no compiler at install time, another interpreter)
    metrics_writer = None
else:
    metrics_writer = _fastmetrics.Writer

__all__ = ["metrics_writer"]
