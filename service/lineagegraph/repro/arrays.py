"""Loading ``.npy``/``.npz`` outputs and comparing their arrays within a tolerance.

Pickled object arrays are never loaded (``allow_pickle=False``): a produced artifact must not
be able to run code on the machine that verifies it. Integer, boolean and text arrays must be
exactly equal (a tolerance on class labels means nothing); floating arrays use the tolerance.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lineagegraph.repro.tolerance import Tolerance

Arrays = dict[str, NDArray[Any]]


class ArrayLoadError(Exception):
    pass


def load_arrays(path: Path) -> Arrays:
    """The arrays in a file: ``{"": array}`` for ``.npy``, one entry per member for ``.npz``."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ArrayLoadError(f"cannot load {path.name}: {exc}") from None
    if isinstance(loaded, np.ndarray):
        return {"": loaded}
    with loaded as archive:
        try:
            return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ArrayLoadError(f"cannot load {path.name}: {exc}") from None


def compare(a: NDArray[Any], b: NDArray[Any], tolerance: Tolerance) -> tuple[bool, dict[str, Any]]:
    """Whether two arrays are equal at the algorithmic level, with the figures that say why."""
    facts: dict[str, Any] = {
        "shape_a": list(a.shape),
        "shape_b": list(b.shape),
        "dtype_a": str(a.dtype),
        "dtype_b": str(b.dtype),
    }
    if a.shape != b.shape:
        facts["reason"] = "shapes differ"
        return False, facts
    inexact = np.issubdtype(a.dtype, np.inexact) or np.issubdtype(b.dtype, np.inexact)
    numeric = all(np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_ for x in (a, b))
    if not (inexact and numeric):
        equal = bool(np.array_equal(a, b))
        comparable = a.dtype == b.dtype or numeric
        mismatched = int(np.count_nonzero(a != b)) if comparable else int(a.size)
        facts.update(exact=True, mismatched=0 if equal else mismatched, size=int(a.size))
        return equal, facts
    x = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    y = b.astype(np.complex128 if np.iscomplexobj(b) else np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(x - y)
        scale = np.maximum(np.abs(x), np.abs(y))
        ok = (
            (x == y)
            | (np.isnan(x) & np.isnan(y))
            | (gap <= tolerance.atol + tolerance.rtol * scale)
        )
        finite = np.isfinite(gap)
        max_abs = float(gap[finite].max()) if finite.any() else 0.0
        nonzero = finite & (scale > 0)
        max_rel = float((gap[nonzero] / scale[nonzero]).max()) if nonzero.any() else 0.0
    mismatched = int(ok.size - np.count_nonzero(ok))
    facts.update(
        exact=False,
        mismatched=mismatched,
        size=int(a.size),
        max_abs_diff=max_abs,
        max_rel_diff=max_rel,
    )
    return mismatched == 0, facts
