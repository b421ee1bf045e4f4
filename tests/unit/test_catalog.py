from __future__ import annotations

from pathlib import Path

import pytest

from lineagegraph.graph.catalog import Catalog, CatalogError, Mode


def _write(root: Path, area: str, name: str, text: str) -> None:
    (root / area).mkdir(parents=True, exist_ok=True)
    (root / area / f"{name}.cypher").write_text(text)


def test_the_project_catalog_loads_and_is_complete():
    catalog = Catalog.load()
    assert catalog["meta.ping"].mode is Mode.READ
    assert all(q.text and q.key == f"{q.path.parent.name}.{q.path.stem}" for q in catalog.values())


GOOD = "// name: q\n// mode: read\n// params: a\nMATCH (n {x: $a}) RETURN n\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("// mode: read\n// params: a\nRETURN $a", "lacks name"),
        ("// name: other\n// mode: read\n// params: a\nRETURN $a", "must equal the file name"),
        ("// name: q\n// mode: sometimes\n// params: a\nRETURN $a", "mode must be"),
        ("// name: q\n// mode: read\n// params: a\nRETURN $a, $b", "params declared"),
        ("// name: q\n// mode: read\n// params: a, b\nRETURN $a", "params declared"),
        ("// name: q\n// mode: read\n// params: a\n", "no statement"),
        ("// name: q\n// mode: read\n// params: a\nRETURN $a; RETURN 2;", "one statement"),
    ],
)
def test_malformed_files_fail_fast(tmp_path: Path, text: str, problem: str):
    _write(tmp_path, "area", "good", GOOD.replace("name: q", "name: good"))
    _write(tmp_path, "area", "q", text)
    with pytest.raises(CatalogError, match=problem):
        Catalog.load(tmp_path)


def test_unknown_statement_and_missing_folder(tmp_path: Path):
    _write(tmp_path, "area", "q", GOOD)
    catalog = Catalog.load(tmp_path)
    assert catalog["area.q"].params == frozenset({"a"})
    with pytest.raises(CatalogError, match="no Cypher statement"):
        catalog["area.nope"]
    with pytest.raises(CatalogError, match="does not exist"):
        Catalog.load(tmp_path / "missing")
