from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

class Writer:
    """A run's ``log_metrics(values, step=None)``: the common case in C, the rest in Python."""

    def __init__(
        self, run: Any, running: object, lifecycle: ModuleType, slow: Callable[..., None]
    ) -> None: ...
    def __call__(self, values: Mapping[str, object], step: int | None = None) -> None: ...

def adler32(data: bytes, /) -> int: ...
