"""The error tree shared by the SDK, the service and the CLI.

Every error that reaches a client carries one of the codes below; the GraphQL layer puts the code in
``extensions.code`` and the SDK maps it back to the same class.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_INPUT = "BAD_INPUT"
    NOT_FOUND = "NOT_FOUND"
    IMMUTABLE_CONFLICT = "IMMUTABLE_CONFLICT"
    CYCLE = "CYCLE"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    DEPRECATED = "DEPRECATED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class LineageError(Exception):
    """Base of every error this project raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_extensions(self) -> dict[str, Any]:
        return {"code": self.code.value, **self.details}


class BadInput(LineageError):
    code = ErrorCode.BAD_INPUT

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        if field is not None:
            details["field"] = field
        super().__init__(message, **details)
        self.field = field


class NotFound(LineageError):
    code = ErrorCode.NOT_FOUND


class ImmutableConflict(LineageError):
    code = ErrorCode.IMMUTABLE_CONFLICT


class CycleError(LineageError):
    code = ErrorCode.CYCLE


class Conflict(LineageError):
    code = ErrorCode.CONFLICT


class Unauthenticated(LineageError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(LineageError):
    code = ErrorCode.FORBIDDEN


class DeprecatedArtifact(LineageError):
    code = ErrorCode.DEPRECATED


class Unavailable(LineageError):
    code = ErrorCode.UNAVAILABLE


class ConfigError(LineageError):
    """Settings are missing or invalid; the message lists every problem at once."""

    code = ErrorCode.BAD_INPUT


_BY_CODE: dict[str, type[LineageError]] = {
    cls.code.value: cls
    for cls in (
        BadInput,
        NotFound,
        ImmutableConflict,
        CycleError,
        Conflict,
        Unauthenticated,
        Forbidden,
        DeprecatedArtifact,
        Unavailable,
    )
}


def error_from_code(code: str | None, message: str, **details: Any) -> LineageError:
    """Rebuild the typed error a server reported (used by the SDK and CLI)."""
    cls = _BY_CODE.get(code or "", LineageError)
    if cls is BadInput:
        field = details.pop("field", None)
        return BadInput(message, field=field, **details)
    return cls(message, **details)
