"""Authentication without a server: header parsing, scope ranks, the short verification cache."""

from __future__ import annotations

import pytest

from lineagegraph.api import auth
from lineagegraph.api.auth import LOCAL, Authenticator
from lineagegraph.errors import Forbidden, Unauthenticated
from lineagegraph.graph.tokens import Principal, Scope


class FakeTokens:
    def __init__(self) -> None:
        self.calls = 0
        self.known = {"lg_1_good": Principal("ci", Scope.WRITE, "1")}

    def verify(self, token: str) -> Principal | None:
        self.calls += 1
        return self.known.get(token)


def test_scopes_nest():
    assert Scope.ADMIN.allows(Scope.WRITE)
    assert Scope.WRITE.allows(Scope.READ)
    assert not Scope.READ.allows(Scope.WRITE)
    assert not Scope.WRITE.allows(Scope.ADMIN)


def test_auth_disabled_acts_as_local_admin():
    identity = Authenticator(None, enabled=False).authenticate(None)
    assert identity.require(Scope.ADMIN) is LOCAL


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "token is required"),
        ("", "token is required"),
        ("Token lg_1_good", "must read: Bearer"),
        ("Bearer ", "must read: Bearer"),
        ("Bearer lg_1_bad", "unknown or revoked"),
    ],
)
def test_missing_or_bad_tokens_are_unauthenticated(header: str | None, problem: str):
    identity = Authenticator(FakeTokens(), enabled=True).authenticate(header)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated, match=problem):
        identity.require(Scope.READ)


def test_scope_checks_and_the_cache(monkeypatch: pytest.MonkeyPatch):
    tokens = FakeTokens()
    authenticator = Authenticator(tokens, enabled=True)  # type: ignore[arg-type]
    identity = authenticator.authenticate("Bearer lg_1_good")
    assert identity.require(Scope.WRITE).name == "ci"
    with pytest.raises(Forbidden, match="admin scope"):
        identity.require(Scope.ADMIN)
    authenticator.authenticate("bearer lg_1_good")
    assert tokens.calls == 1  # cached
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    authenticator.authenticate("Bearer lg_1_good")
    assert tokens.calls == 2
