"""The node properties an OpenLineage run or snapshot is written with.

Shared properties (status, times, job identity, provenance, tags, row count, schema) use the names
and encodings of the graph store, so GraphQL reads an OpenLineage run like an SDK run; the facets
as sent are kept in ``ol*`` properties as canonical JSON text (Neo4j properties cannot hold maps).
"""

from __future__ import annotations

from typing import Any

from lineagegraph.openlineage.mapping import derive_run_fields, snapshot_fields
from lineagegraph.openlineage.merge import FacetSet, RunState, canonical_json

JsonDict = dict[str, Any]


def _json(value: object) -> str | None:
    return canonical_json(value) if value else None


def run_props(state: RunState) -> JsonDict:
    """Everything upsert_run sets; a None value removes the property."""
    derived = derive_run_fields(state.run_facets.facets, state.job_facets.facets)
    provenance = derived.provenance
    return {
        "name": state.job_name,
        "status": state.status.value if state.status is not None else None,
        "startTime": state.start_time,
        "endTime": state.end_time,
        "errorMessage": derived.error_message,
        "jobNamespace": state.job_namespace,
        "jobName": state.job_name,
        "tags": _json(derived.tags),
        "code": _json(provenance.code.model_dump(exclude_none=True)) if provenance.code else None,
        "environment": (
            _json(provenance.environment.model_dump(exclude_none=True))
            if provenance.environment
            else None
        ),
        "olCompletedAt": state.completed_at,
        "olJobTime": state.job_time,
        "olRunFacets": state.run_facets.facets_json(),
        "olRunFacetTimes": state.run_facets.times_json(),
        "olJobFacets": state.job_facets.facets_json(),
        "olJobFacetTimes": state.job_facets.times_json(),
        "olHasEvents": True,
    }


def snapshot_props(facets: FacetSet) -> JsonDict:
    fields = snapshot_fields(facets.facets)
    return {
        "olFacets": facets.facets_json(),
        "olFacetTimes": facets.times_json(),
        "rowCount": fields.row_count,
        "sizeBytes": fields.size_bytes,
        "schema": _json(fields.schema),
    }
