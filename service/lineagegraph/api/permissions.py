"""Permission classes: queries need the read scope, mutations the write scope.

They raise the typed errors themselves, so the client sees UNAUTHENTICATED (no or bad token) or
FORBIDDEN (a token without the scope) in ``extensions.code``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from lineagegraph.graph.tokens import Scope


class _NeedsScope(BasePermission):
    scope: ClassVar[Scope]

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        info.context.identity.require(self.scope)
        return True


class CanRead(_NeedsScope):
    scope = Scope.READ
    message = "the read scope is needed"


class CanWrite(_NeedsScope):
    scope = Scope.WRITE
    message = "the write scope is needed"
