"""schema/lineage.graphql is the exported SDL: the code's schema must not drift from it."""

from __future__ import annotations

from lineagegraph.api.schema import export_sdl, sdl_path


def test_exported_sdl_matches_the_code():
    committed = sdl_path().read_text(encoding="utf-8")
    assert committed == export_sdl(), (
        "schema/lineage.graphql is out of date: run `make sdl` and review the diff"
    )
