"""Gathering what the release gate needs about a model from the graph (``gate.facts.GateFacts``).

- the producing run's provenance (code commit and dirty flag, environment fingerprint, seeds) and
  what it consumed, each with its digest;
- the deprecated artifacts anywhere upstream of the model, with the path down to it;
- the highest reproducibility level verified for the producing run (``graph/repro_store.py``,
  when that module is installed; otherwise none);
- the model's evaluation reports: overall metrics and per-slice intervals;
- trial runs: the COMPLETED child runs of the producing run (a sweep whose parent produced the
  model), each giving the last value of every metric it logged;
- the baseline: the model serving in an environment, or a named model.
The decision itself is ``gate.evaluate.evaluate_gate``, pure and run by the CLI.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.gate.facts import DeprecatedUpstream, GateFacts, ModelFacts, ReportSnapshot
from lineagegraph.graph.deployments import DeploymentStore, check_env, check_model
from lineagegraph.graph.deprecation import DeprecationStore
from lineagegraph.graph.store import GraphStore
from lineagegraph.models import CodeVersion, Environment, Hardware, Interval, Provenance, RunStatus
from lineagegraph.repro.inputs import ConsumedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level

log = logging.getLogger("lineagegraph.gate")


def _part(cls: type[BaseModel], value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    try:
        return cls.model_validate(value)
    except ValidationError:
        return None


def _seeds(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}


def _status(value: Any) -> RunStatus:
    return RunStatus(value) if value in RunStatus.__members__ else RunStatus.RUNNING


def run_snapshot(run: dict[str, Any], consumed: list[dict[str, Any]]) -> RunSnapshot:
    provenance = Provenance(
        code=_part(CodeVersion, run.get("code")),
        environment=_part(Environment, run.get("environment")),
        hardware=_part(Hardware, run.get("hardware")),
        seeds=_seeds(run.get("seeds")),
        config=run.get("config") if isinstance(run.get("config"), dict) else None,
        user=run.get("user"),
    )
    return RunSnapshot(
        ref=str(run["ref"]),
        name=run.get("name"),
        status=_status(run.get("status")),
        provenance=provenance,
        tags={str(k): str(v) for k, v in (run.get("tags") or {}).items()},
        consumed=sorted(
            (
                ConsumedArtifact(ref=str(a["ref"]), digest=a.get("digest"), uri=a.get("uri"))
                for a in consumed
            ),
            key=lambda c: c.ref,
        ),
    )


def report_snapshot(node: dict[str, Any]) -> ReportSnapshot:
    slices: dict[str, dict[str, Interval]] = {}
    for name, metrics in (node.get("slices") or {}).items():
        if not isinstance(metrics, dict):
            continue
        for key, raw in metrics.items():
            try:
                slices.setdefault(str(name), {})[str(key)] = Interval.model_validate(raw)
            except ValidationError:
                log.warning("%s: slice %s metric %s is not an interval", node["ref"], name, key)
    metrics = {
        str(k): float(v) if isinstance(v, int | float) else v
        for k, v in (node.get("metrics") or {}).items()
    }
    created = node.get("createdAt")
    return ReportSnapshot(
        ref=str(node["ref"]),
        name=str(node.get("name") or ""),
        created_at=created if isinstance(created, datetime) else None,
        metrics=metrics,
        slices=slices,
    )


def verified_level(store: GraphStore, run: str) -> tuple[Level | None, str | None]:
    """The issue-6 store answers it when installed; without it nothing is verified."""
    try:
        module = importlib.import_module("lineagegraph.graph.repro_store")
    except ImportError:
        return None, None
    ask = getattr(module, "highest_verified_level", None)
    if ask is None:
        return None, None
    found = ask(store, run)
    if found is None:
        return None, None
    level, check = found
    return Level(level), (str(check) if check else None)


def _trials(store: GraphStore, run: str) -> dict[str, list[float]]:
    children = [
        child["ref"]
        for child in store.related("children", [run]).get(run, [])
        if child.get("status") == RunStatus.COMPLETED.value
    ]
    if not children:
        return {}
    keys = store.metric_keys(children)
    pairs = [(child, key) for child in sorted(children) for key in keys.get(child, [])]
    series = store.metric_series_many(pairs)
    trials: dict[str, list[float]] = {}
    for pair in pairs:
        points = series.get(pair) or []
        if points:
            trials.setdefault(pair[1], []).append(points[-1].value)
    return trials


def model_facts(store: GraphStore, ref: str, field: str = "model") -> ModelFacts:
    canonical = check_model(ref, field)
    node = store.get_node(canonical)
    if node is None:
        raise NotFound(f"{canonical} does not exist", field=field)
    producers = store.related("producer", [canonical]).get(canonical, [])
    producing_run = None
    trials: dict[str, list[float]] = {}
    if producers:
        run = producers[0]
        consumed = store.related("consumed", [run["ref"]]).get(run["ref"], [])
        producing_run = run_snapshot(run, consumed)
        trials = _trials(store, run["ref"])
    reports = [report_snapshot(r) for r in store.related("reports", [canonical]).get(canonical, [])]
    return ModelFacts(ref=canonical, producing_run=producing_run, reports=reports, trials=trials)


def gate_facts(
    store: GraphStore,
    model: str,
    *,
    baseline_deployed: str | None = None,
    baseline_model: str | None = None,
) -> GateFacts:
    """Everything the gate may ask about ``model``; NotFound when it does not exist."""
    if baseline_deployed is not None and baseline_model is not None:
        raise BadInput(
            "give a deployed environment or a baseline model, not both", field="baseline"
        )
    facts = model_facts(store, model)
    upstream = DeprecationStore.of(store).upstream([facts.ref]).get(facts.ref, [])
    deprecated = [
        DeprecatedUpstream(
            ref=item.info.ref,
            reason=item.info.reason,
            sunset=item.info.sunset,
            replacement=item.info.replacement,
            path=item.path,
        )
        for item in upstream
    ]
    level, check = (None, None)
    if facts.producing_run is not None:
        level, check = verified_level(store, facts.producing_run.ref)
    baseline = None
    if baseline_deployed is not None:
        env = check_env(baseline_deployed, "baselineDeployed")
        current = DeploymentStore.of(store).current([env]).get(env)
        if current is not None:
            baseline = model_facts(store, current.model, "baselineDeployed")
    elif baseline_model is not None:
        baseline = model_facts(store, baseline_model, "baselineModel")
    return GateFacts(
        model=facts,
        deprecated_upstream=deprecated,
        verified_level=level,
        verified_by=check,
        baseline=baseline,
    )
