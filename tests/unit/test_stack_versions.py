"""The local stack runs Neo4j 5.26 on Java 17 and the calendar releases on Java 21+, each with
the main class its own jar declares."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lineagegraph.cli._localstack import stack_module

mod = stack_module()


def fake_java(folder: Path, major: int) -> Path:
    java = folder / f"jdk-{major}" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{major}.0.3\" 2026-04-21' >&2\n")
    java.chmod(0o755)
    return java


@pytest.fixture
def javas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[int, Path]:
    found = {major: fake_java(tmp_path, major) for major in (25, 17, 21)}
    monkeypatch.setattr(mod, "_java_candidates", lambda: list(found.values()))
    return found


def test_neo4j_5_gets_java_17_and_calendar_releases_the_oldest_java_21_or_newer(javas):
    assert mod.find_java("5.26.30") == str(javas[17])
    assert mod.find_java("2026.08.1") == str(javas[21])
    assert mod.java_major(javas[25]) == 25


def test_without_a_new_enough_java_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    only = fake_java(tmp_path, 17)
    monkeypatch.setattr(mod, "_java_candidates", lambda: [only])
    with pytest.raises(mod.StackError, match=r"Neo4j 2025\.01\.0 needs Java 21 or newer"):
        mod.find_java("2025.01.0")
    monkeypatch.setattr(mod, "_java_candidates", lambda: [])
    with pytest.raises(mod.StackError, match="OpenJDK 17 not found"):
        mod.find_java("5.26.30")


@pytest.mark.parametrize(
    ("version", "main_class"),
    [
        ("5.26.30", "org.neo4j.server.CommunityEntryPoint"),
        ("2026.08.1", "org.neo4j.server.Neo4jCommunity"),
    ],
)
def test_the_main_class_is_the_one_the_jar_declares(tmp_path: Path, version: str, main_class: str):
    with zipfile.ZipFile(tmp_path / f"neo4j-{version}.jar", "w") as jar:
        jar.writestr("META-INF/services/org.neo4j.server.startup.EntryPoint", main_class + "\n")
    assert mod.entry_point(tmp_path, version) == main_class


def test_a_jar_without_an_entry_point_is_refused(tmp_path: Path):
    with zipfile.ZipFile(tmp_path / "neo4j-5.26.30.jar", "w") as jar:
        jar.writestr("README", "")
    with pytest.raises(mod.StackError, match="names no server entry point"):
        mod.entry_point(tmp_path, "5.26.30")


def test_extra_settings_are_written_to_the_config(tmp_path: Path):
    server = mod.Neo4jServer(
        tmp_path, 7687, None, settings={"db.query.default_language": "CYPHER_25"}
    )
    conf = server.write_config(tmp_path / "lib")
    lines = (conf / "neo4j.conf").read_text().splitlines()
    assert "db.query.default_language=CYPHER_25" in lines
    assert "server.bolt.listen_address=127.0.0.1:7687" in lines
