"""``seed_everything``: seed every random generator a training script is likely to use.

It seeds ``random``, NumPy's global generator and PyTorch (CPU and CUDA) when they are
installed, and returns what it seeded; the next ``start_run`` records that as the run's seeds.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import threading
from typing import Any

from lineagegraph.errors import BadInput

_lock = threading.Lock()
_last: dict[str, int] | None = None


def _installed(module: str) -> Any | None:
    try:
        if importlib.util.find_spec(module) is None:
            return None
        return importlib.import_module(module)
    except (ImportError, ValueError):
        return None


def seed_everything(seed: int) -> dict[str, int]:
    """Seed random, NumPy and PyTorch (when installed); returns ``{"random": seed, ...}``."""
    global _last
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise BadInput(f"seed must be an int in [0, 2**32), not {seed!r}", field="seed")
    seeded = {"random": seed}
    random.seed(seed)
    numpy = _installed("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
        seeded["numpy"] = seed
    torch = _installed("torch")
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device
        seeded["torch"] = seed
    with _lock:
        _last = dict(seeded)
    return seeded


def last_seeds() -> dict[str, int] | None:
    """What the latest ``seed_everything`` call seeded in this process, if any."""
    with _lock:
        return dict(_last) if _last is not None else None
