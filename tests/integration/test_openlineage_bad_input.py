"""Bad OpenLineage requests: each is a 400 naming what is wrong, and the graph is left unchanged."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import pytest

from tests.conftest import run_service
from tests.integration.openlineage_support import Graph, dataset, post, run_event


@pytest.fixture
def graph(live_service, driver, catalog):
    return Graph(driver, catalog, live_service.settings)


@pytest.fixture
def seeded(http, live_service, graph):
    """A graph with something in it, so "nothing stored" is checked against real content."""
    event = run_event(
        "COMPLETE", uuid.uuid4(), "seed", 0, inputs=[dataset("a")], outputs=[dataset("b")]
    )
    assert post(http, live_service.url, event).status_code == 201
    return graph.counts()


def good() -> dict[str, Any]:
    return run_event(
        "START", uuid.uuid4(), "job", 0, inputs=[dataset("in")], outputs=[dataset("out")]
    )


def without(path: str) -> dict[str, Any]:
    event = good()
    *parents, last = path.split(".")
    holder = event
    for key in parents:
        holder = holder[key]
    del holder[last]
    return event


def _with(event: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, last = path.split(".")
    holder: Any = event
    for key in parents:
        holder = holder[int(key)] if key.isdigit() else holder[key]
    holder[last] = value
    return event


CASES = {
    "missing runId": (without("run.runId"), "run.runId", "required"),
    "non-UUID runId": (_with(good(), "run.runId", "run-42"), "run.runId", "UUID"),
    "missing job": (without("job"), "job", "required"),
    "missing job name": (without("job.name"), "job.name", "required"),
    "wrong eventTime format": (
        _with(good(), "eventTime", "05/01/2024 12:00"),
        "eventTime",
        "ISO 8601",
    ),
    "eventTime as a number": (_with(good(), "eventTime", 1714564800), "eventTime", "string"),
    "unknown eventType": (_with(good(), "eventType", "FINISHED"), "eventType", "COMPLETE"),
    "facets not an object": (_with(good(), "run.facets", ["parent"]), "run.facets", "dictionary"),
    "a facet that is not an object": (
        _with(good(), "run.facets", {"custom": 5}),
        "run.facets.custom",
        "dictionary",
    ),
    "parent facet with a bad runId": (
        _with(
            good(),
            "run.facets",
            {"parent": {"run": {"runId": "x"}, "job": {"namespace": "a", "name": "b"}}},
        ),
        "run.facets.parent.run.runId",
        "UUID",
    ),
    "schema fields not a list": (
        _with(good(), "outputs.0.facets", {"schema": {"fields": {"id": "int"}}}),
        "outputs[0].facets.schema.fields",
        "list",
    ),
    "errorMessage without message": (
        _with(good(), "run.facets", {"errorMessage": {"programmingLanguage": "java"}}),
        "run.facets.errorMessage.message",
        "required",
    ),
    "dataset without namespace": (
        _with(good(), "inputs", [{"name": "x"}]),
        "inputs[0].namespace",
        "required",
    ),
    "sql facet query not text": (
        _with(good(), "job.facets", {"sql": {"query": 3}}),
        "job.facets.sql.query",
        "string",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_event_is_400_and_stores_nothing(case, http, live_service, graph, seeded):
    event, field, words = CASES[case]
    for compress in (False, True):
        response = post(http, live_service.url, event, compress=compress)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "BAD_INPUT"
        assert error["field"] == field
        assert field in error["message"]
        assert words in error["message"]
    assert graph.counts() == seeded


@pytest.mark.parametrize(
    ("body", "headers", "words"),
    [
        (b"{not json", {"Content-Type": "application/json"}, "not valid JSON"),
        (b"", {"Content-Type": "application/json"}, "empty"),
        (b'{"eventTime": NaN}', {"Content-Type": "application/json"}, "NaN"),
        (b"\xff\xfe{", {"Content-Type": "application/json"}, "UTF-8"),
        (b"[]", {"Content-Type": "application/json"}, "JSON object"),
        (json.dumps(good()).encode(), {"Content-Type": "text/plain"}, "Content-Type"),
        (
            json.dumps(good()).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            "application/json",
        ),
        (json.dumps(good()).encode(), {}, "Content-Type"),
        (
            json.dumps(good()).encode(),
            {"Content-Type": "application/json", "Content-Encoding": "br"},
            "Content-Encoding",
        ),
        (
            b"not gzip at all",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            "gzip",
        ),
        (
            gzip.compress(json.dumps(good()).encode())[:-12],
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            "truncated",
        ),
    ],
    ids=[
        "not-json",
        "empty",
        "nan",
        "not-utf8",
        "array",
        "text-plain",
        "form",
        "no-type",
        "brotli",
        "bad-gzip",
        "truncated-gzip",
    ],
)
def test_bad_body_is_400_and_stores_nothing(
    body, headers, words, http, live_service, graph, seeded
):
    response = http.post(f"{live_service.url}/api/v1/lineage", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]
    assert graph.counts() == seeded


def _big_event(size: int) -> dict[str, Any]:
    event = good()
    event["run"]["facets"] = {"spark_logicalPlan": {"plan": "x" * size}}
    return event


def test_ten_megabyte_event_is_400_plain_and_gzipped(http, live_service, graph, seeded):
    event = _big_event(10 * 1000 * 1000)
    limit = live_service.settings.openlineage_max_event_bytes
    for compress in (False, True):
        response = post(http, live_service.url, event, compress=compress)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["field"] == "body"
        assert str(limit) in error["message"]
        assert "OPENLINEAGE_MAX_EVENT_BYTES" in error["message"]
    assert graph.counts() == seeded
    # the service still answers on the same client afterwards
    assert post(http, live_service.url, good()).status_code == 201


def test_the_limit_is_the_setting(http, settings, driver, catalog):
    small = settings.model_copy(update={"openlineage_max_event_bytes": 4096})
    with run_service(small) as service:
        graph = Graph(driver, catalog, small)
        before = graph.counts()
        assert post(http, service.url, _big_event(5000)).status_code == 400
        assert post(http, service.url, _big_event(5000), compress=True).status_code == 400
        assert graph.counts() == before
        assert post(http, service.url, _big_event(2000)).status_code == 201


def test_wrong_method_is_not_allowed(http, live_service):
    assert http.get(f"{live_service.url}/api/v1/lineage").status_code == 405
