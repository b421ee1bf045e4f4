"""Order-free merging of OpenLineage events into what a Run or a snapshot holds (pure).

Integrations send several events per run (START, RUNNING..., COMPLETE/FAIL/ABORT, OTHER), may send
them out of order and may send one twice. Every rule here is a function of the *set* of events seen,
never of their arrival order, so a replay changes nothing and COMPLETE before START yields the same
run as START before COMPLETE:

- startTime is the earliest eventTime seen; the status is the latest terminal event's (by eventTime,
  ties broken by a fixed rank), RUNNING while there is none; endTime is that terminal event's time.
- completedAt, the earliest COMPLETE eventTime, is when the run's outputs became available.
- facets merge by key: each key keeps the value of the latest event that sent it (ties broken by
  the JSON text), so facets sent only on START (sourceCode) and only on COMPLETE
  (outputStatistics) are both kept. The ``tags`` facet is the exception: clients send a different
  list on each event (the Python client adds its own version tag), so its entries merge by tag
  key, the latest event winning per key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lineagegraph.models import RunStatus
from lineagegraph.openlineage.mapping import TERMINAL, RunChange

JsonDict = dict[str, Any]
# Which terminal status wins when two terminal events carry the same eventTime.
_RANK = {RunStatus.COMPLETED: 1, RunStatus.KILLED: 2, RunStatus.FAILED: 3}


def time_key(moment: datetime) -> str:
    """A UTC ISO text that sorts like the instant it names."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


TAGS = "tags"


def _tag_time(key: object) -> str:
    return f"{TAGS}#{key}"


def _later(at: str, value: object, held_at: str, held: object) -> bool:
    """Whether (at, value) wins over (held_at, held): later time, ties by the JSON text."""
    return (at, canonical_json(value)) > (held_at, canonical_json(held))


def _combine_tags(
    facets: dict[str, JsonDict], times: dict[str, str], value: JsonDict, their: dict[str, str]
) -> None:
    """Union two tags facets by tag key; per tag, and for the facet's own fields, latest wins."""
    held = facets.get(TAGS) or {}
    entries = {
        str(entry.get("key")): entry for entry in held.get(TAGS) or [] if isinstance(entry, dict)
    }
    at = their.get(TAGS, "")
    for entry in value[TAGS]:
        if not isinstance(entry, dict):
            continue
        tag, when = str(entry.get("key")), _tag_time(entry.get("key"))
        entry_at = their.get(when, at)
        if tag not in entries or _later(entry_at, entry, times.get(when, ""), entries[tag]):
            entries[tag] = entry
            times[when] = entry_at
    header = {k: v for k, v in value.items() if k != TAGS}
    held_header = {k: v for k, v in held.items() if k != TAGS}
    if TAGS not in facets or _later(at, header, times.get(TAGS, ""), held_header):
        times[TAGS] = at
    else:
        header = held_header
    facets[TAGS] = {**header, TAGS: [entries[k] for k in sorted(entries)]}


@dataclass(frozen=True, slots=True)
class FacetSet:
    facets: dict[str, JsonDict] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)  # facet key -> time_key of its event

    @classmethod
    def from_json(cls, facets: str | None, times: str | None) -> FacetSet:
        return cls(json.loads(facets) if facets else {}, json.loads(times) if times else {})

    def facets_json(self) -> str | None:
        return canonical_json(self.facets) if self.facets else None

    def times_json(self) -> str | None:
        return canonical_json(self.times) if self.times else None

    def combined(self, other: FacetSet) -> FacetSet:
        """Both sets, each facet key (and each tag) keeping its latest value: order-free."""
        facets, times = dict(self.facets), dict(self.times)
        for key, value in other.facets.items():
            if key == TAGS and isinstance(value.get(TAGS), list):
                _combine_tags(facets, times, value, other.times)
            elif key not in facets or _later(
                other.times.get(key, ""), value, times.get(key, ""), facets[key]
            ):
                facets[key] = value
                times[key] = other.times.get(key, "")
        return FacetSet(facets, times)

    def merged(self, incoming: dict[str, JsonDict], moment: datetime) -> FacetSet:
        """These facets plus those one event sent at ``moment``."""
        at = time_key(moment)
        times = dict.fromkeys(incoming, at)
        tags = incoming.get(TAGS)
        if tags is not None and isinstance(tags.get(TAGS), list):
            for entry in tags[TAGS]:
                if isinstance(entry, dict):
                    times[_tag_time(entry.get("key"))] = at
        return self.combined(FacetSet(dict(incoming), times))


@dataclass(frozen=True, slots=True)
class RunState:
    """What a Run node holds of its OpenLineage events; ``None`` everywhere for a new node."""

    status: RunStatus | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    completed_at: datetime | None = None
    job_namespace: str | None = None
    job_name: str | None = None
    job_time: str | None = None  # time_key of the event the job identity came from
    run_facets: FacetSet = field(default_factory=FacetSet)
    job_facets: FacetSet = field(default_factory=FacetSet)
    has_events: bool = False  # False: a placeholder made from a child's parent facet

    def merged(self, change: RunChange) -> RunState:
        at = change.event_time
        start = at if self.start_time is None else min(self.start_time, at)
        status, end = self.status, self.end_time
        if change.status in TERMINAL and not self._terminal_beats(change.status, at):
            status, end = change.status, at
        if status not in TERMINAL:
            status, end = RunStatus.RUNNING, None
        completed = self.completed_at
        if change.status is RunStatus.COMPLETED:
            completed = at if completed is None else min(completed, at)
        job_namespace, job_name, job_time = self.job_namespace, self.job_name, self.job_time
        identity_at = time_key(at)
        if not self.has_events or job_time is None or identity_at > job_time:
            job_namespace, job_name, job_time = change.job_namespace, change.job_name, identity_at
        return replace(
            self,
            status=status,
            start_time=start,
            end_time=end,
            completed_at=completed,
            job_namespace=job_namespace,
            job_name=job_name,
            job_time=job_time,
            run_facets=self.run_facets.merged(change.run_facets, at),
            job_facets=self.job_facets.merged(change.job_facets, at),
            has_events=True,
        )

    def _terminal_beats(self, incoming: RunStatus | None, at: datetime) -> bool:
        """True when the terminal state already held wins over ``incoming`` sent at ``at``."""
        held = self.status
        if held is None or held not in TERMINAL or self.end_time is None or incoming is None:
            return False
        return (at, _RANK[incoming]) <= (self.end_time, _RANK[held])
