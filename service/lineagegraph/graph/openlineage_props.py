"""The node properties an OpenLineage run or snapshot is written with.

Shared properties use the graph store's names and encodings (graph/records.py: structured values
as JSON text under ``...Json`` keys, tags as parallel ``tagKeys``/``tagValues`` arrays), so the API
reads an OpenLineage run like an SDK run. The facets as sent, and the event time each facet came
from, are kept as ``olRunFacetsJson``, ``olJobFacetsJson`` (runs), ``olFacetsJson`` (datasets,
snapshots: everything known) and ``olOwnFacetsJson`` (snapshots: without what readers saw).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineagegraph.graph.records import dumps
from lineagegraph.openlineage.mapping import derive_run_fields, snapshot_fields
from lineagegraph.openlineage.merge import FacetSet, RunState

JsonDict = dict[str, Any]


def _facets(prefix: str, facets: FacetSet) -> JsonDict:
    return {f"{prefix}Json": facets.facets_json(), f"{prefix[:-1]}TimesJson": facets.times_json()}


def merged_tags(
    keys: Sequence[str], values: Sequence[str], ol_keys: Sequence[str], derived: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The run's tags: those set by others (SDK run_tagged) kept, ours replaced by ``derived``."""
    mine = set(ol_keys) | set(derived)
    kept = [(k, v) for k, v in zip(keys, values, strict=False) if k not in mine]
    pairs = kept + sorted(derived.items())
    return [k for k, _ in pairs], [v for _, v in pairs]


def run_props(state: RunState, tags: tuple[list[str], list[str]]) -> JsonDict:
    """Everything upsert_run sets; a None value removes the property."""
    derived = derive_run_fields(state.run_facets.facets, state.job_facets.facets)
    provenance = derived.provenance
    props: JsonDict = {
        "name": state.job_name,
        "status": state.status.value if state.status is not None else None,
        "startTime": state.start_time,
        "endTime": state.end_time,
        "errorMessage": derived.error_message,
        "jobNamespace": state.job_namespace,
        "jobName": state.job_name,
        "tagKeys": tags[0],
        "tagValues": tags[1],
        "olTagKeys": sorted(derived.tags),
        "olCompletedAt": state.completed_at,
        "olJobTime": state.job_time,
        **_facets("olRunFacets", state.run_facets),
        **_facets("olJobFacets", state.job_facets),
        "olHasEvents": True,
    }
    # Provenance the facets give; what they do not give is left as it is.
    if provenance.code is not None:
        props["codeJson"] = dumps(provenance.code.model_dump(mode="json"))
        props["codeCommit"] = provenance.code.commit
    if provenance.environment is not None:
        props["environmentJson"] = dumps(provenance.environment.model_dump(mode="json"))
    return props


def snapshot_props(facets: FacetSet) -> JsonDict:
    fields = snapshot_fields(facets.facets)
    return {
        **_facets("olFacets", facets),
        "rowCount": fields.row_count,
        "sizeBytes": fields.size_bytes,
        "schemaJson": dumps(fields.schema) if fields.schema is not None else None,
    }


def own_facet_props(facets: FacetSet) -> JsonDict:
    """A snapshot's own facets (from the events that wrote or named it, not its readers)."""
    return _facets("olOwnFacets", facets)


def dataset_props(facets: FacetSet) -> JsonDict:
    return _facets("olFacets", facets)
