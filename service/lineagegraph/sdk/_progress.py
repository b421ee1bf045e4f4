"""Progress bars for long transfers (size, rate, ETA), off when the output is not a terminal."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

Progress = Callable[[int], None]
# A transfer announces each phase ("hash", "upload", "download") with its total byte count and
# gets back the callable it reports progress to (negative after a retried part).
PhaseStarter = Callable[[str, int], Progress]

_LABELS = {"hash": "hashing", "upload": "uploading", "download": "downloading"}


@contextmanager
def progress_bars(
    stream: TextIO | None = None, *, enabled: bool | None = None, min_bytes: int = 8 * 1024**2
) -> Iterator[PhaseStarter]:
    """Bars on ``stream`` (stderr) when it is a TTY, or as ``enabled`` says; transfers below
    ``min_bytes`` get no bar (they finish before one would help)."""
    out = stream if stream is not None else sys.stderr
    show = out.isatty() if enabled is None else enabled
    bars: list[tqdm[Any]] = []

    def start(phase: str, total: int) -> Progress:
        for old in bars:
            old.close()
        bar: tqdm[Any] = tqdm(
            total=total,
            desc=_LABELS.get(phase, phase),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=out,
            disable=not show or total < min_bytes,
            leave=True,
            dynamic_ncols=True,
        )
        bars.append(bar)
        lock = threading.Lock()  # parts report from several threads

        def update(n: int) -> None:
            with lock:
                bar.update(n)

        return update

    try:
        yield start
    finally:
        for bar in bars:
            bar.close()
