"""Closeness of numbers for the algorithmic level: symmetric, NaN equal to NaN."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

# NumPy's own defaults for allclose: tight enough to catch a real change of result, loose
# enough for the last-bits noise of a different BLAS or CPU.
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-8


class Tolerance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rtol: float = Field(DEFAULT_RTOL, ge=0, allow_inf_nan=False)
    atol: float = Field(DEFAULT_ATOL, ge=0, allow_inf_nan=False)

    def allowed(self, a: float, b: float) -> float:
        """The largest |a - b| accepted: atol + rtol * max(|a|, |b|) (symmetric in a and b,
        unlike numpy.isclose, so swapping the runs never changes the verdict)."""
        return self.atol + self.rtol * max(abs(a), abs(b))

    def close(self, a: float, b: float) -> bool:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= self.allowed(a, b)
