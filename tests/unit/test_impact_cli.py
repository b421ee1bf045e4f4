"""``lineage impact`` output without a service: CSV rows, JSON groups and the table."""

from __future__ import annotations

import csv
import io
from typing import Any

from lineagegraph.cli.impact import CSV_COLUMNS, grouped, to_csv, to_table


def item(ref: str, kind: str, depth: int, path: list[str], **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ref": ref,
        "kind": kind,
        "name": ref.split(":")[1].split("@")[0],
        "version": "1",
        "depth": depth,
        "path": path,
        "producedBy": None,
        "owner": None,
        "team": None,
        "deprecated": False,
        "deployedIn": [],
    }
    fields.update(extra)
    return fields


REPORT: dict[str, Any] = {
    "ref": "dataset:raw@v1",
    "roots": ["dataset:raw@v1"],
    "total": 3,
    "truncated": False,
    "deployedModels": ["model:churn@1"],
    "items": [
        item(
            "model:churn@1",
            "MODEL",
            3,
            ["dataset:raw@v1", "feature:f@1", "run:x", "model:churn@1"],
            producedBy="run:x",
            owner="alice",
            team="growth, ml",  # a comma must survive CSV
            deployedIn=["prod", "eu"],
        ),
        item("run:x", "RUN", 2, ["dataset:raw@v1", "feature:f@1", "run:x"], owner="alice"),
        item("feature:f@1", "FEATURE_DEFINITION", 1, ["dataset:raw@v1", "feature:f@1"]),
    ],
}


def test_csv_has_a_header_and_one_row_per_item():
    rows = list(csv.reader(io.StringIO(to_csv(REPORT))))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["team"] == "growth, ml"
    assert first["deployed_in"] == "prod;eu"
    assert first["path"] == "dataset:raw@v1 > feature:f@1 > run:x > model:churn@1"
    assert [r[1] for r in rows[1:]] == ["model:churn@1", "run:x", "feature:f@1"]


def test_json_groups_by_kind_and_table_flags_deployed_models():
    doc = grouped(REPORT)
    assert [i["ref"] for i in doc["models"]] == ["model:churn@1"]
    assert [i["ref"] for i in doc["featureDefinitions"]] == ["feature:f@1"]
    assert doc["datasetSnapshots"] == []
    text = to_table(REPORT)
    assert "deployed models affected: model:churn@1" in text
    assert "DEPLOYED prod,eu" in text
    assert text.index("models (1)") < text.index("runs (1)") < text.index("feature definitions")
