"""Deployments: which model version serves in which environment.

``(Model)-[:DEPLOYED_IN {since, by, until, replacedBy}]->(Environment {name})``. One model is
current per environment: recording another retires the one serving there (its edge keeps
``since``/``by`` and gets ``until``/``replacedBy``). DEPLOYED_IN is not a lineage edge (no
FLOWS_TO mirror). The gate reads the current model of an environment as its baseline; impact
reports flag the affected models that are serving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import neo4j

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.graph.records import to_python
from lineagegraph.graph.statements import StatementStore
from lineagegraph.refs import NodeKind, parse_ref

if TYPE_CHECKING:
    pass

MAX_ENV_LENGTH = 128
MAX_LISTED = 10_000


@dataclass(frozen=True, slots=True)
class Deployment:
    model: str
    env: str
    since: datetime | None
    by: str | None
    until: datetime | None = None
    replaced_by: str | None = None

    @property
    def current(self) -> bool:
        return self.until is None


@dataclass(frozen=True, slots=True)
class Recorded:
    deployment: Deployment
    replaced: list[str]  # the models that stopped being current in that environment


def check_env(env: str, field: str = "env") -> str:
    name = env.strip() if isinstance(env, str) else ""
    if not name:
        raise BadInput("an environment name must not be empty", field=field)
    if len(name) > MAX_ENV_LENGTH:
        raise BadInput(f"an environment name is at most {MAX_ENV_LENGTH} characters", field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise BadInput("an environment name must not contain control characters", field=field)
    return name


def check_model(ref: str, field: str = "model") -> str:
    parsed = parse_ref(ref, field=field)
    if parsed.kind is not NodeKind.MODEL:
        raise BadInput(f"{ref!r} is not a model ref (model:<name>@<version>)", field=field)
    return str(parsed)


def _deployment(row: dict[str, Any]) -> Deployment:
    return Deployment(
        model=str(row["model"]),
        env=str(row["env"]),
        since=to_python(row.get("since")),
        by=row.get("by"),
        until=to_python(row.get("until")),
        replaced_by=row.get("replacedBy"),
    )


class DeploymentStore(StatementStore):
    def record(self, model: str, env: str, by: str) -> Recorded:
        """``model`` serves in ``env`` from now on (idempotent while it stays current)."""
        ref, name = check_model(model), check_env(env)
        at = datetime.now(UTC)

        def work(tx: neo4j.ManagedTransaction) -> Recorded | None:
            exists = tx.run(self.catalog["lineage.roots"].text, ref=ref).data()
            if not exists:
                return None
            tx.run(self.catalog["deployments.lock_environment"].text, env=name, at=at).consume()
            retired = tx.run(
                self.catalog["deployments.retire"].text, env=name, model=ref, at=at
            ).data()
            row = tx.run(
                self.catalog["deployments.record"].text, env=name, model=ref, at=at, by=by
            ).single(strict=True)
            return Recorded(_deployment(row.data()), [str(r["model"]) for r in retired])

        with self.driver.session(database=self.database) as session:
            done: Recorded | None = session.execute_write(work)
        if done is None:
            raise NotFound(f"{ref} does not exist", field="model")
        return done

    def current(self, envs: Sequence[str]) -> dict[str, Deployment]:
        """The model serving now in each environment (absent: none)."""
        names = sorted({check_env(env) for env in envs})
        found: dict[str, Deployment] = {}
        if not names:
            return found
        for row in self._read("deployments.current", envs=names):
            found.setdefault(str(row["env"]), _deployment(row))
        return found

    def all_current(self) -> list[Deployment]:
        return [_deployment(row) for row in self._read("deployments.all_current", limit=MAX_LISTED)]

    def of_models(self, refs: Sequence[str]) -> dict[str, list[Deployment]]:
        """Every deployment of each model, newest first (current and past)."""
        found: dict[str, list[Deployment]] = {ref: [] for ref in refs}
        if not refs:
            return found
        for row in self._read("deployments.of_models", refs=sorted(set(refs))):
            found[str(row["model"])].append(_deployment(row))
        return found
