"""``lineage gc`` pieces that need no server: durations, the grace guard, the report."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta

import pytest

from lineagegraph.blobs.gc import GcBlob, GcReport, GcUpload, references_from
from lineagegraph.cli.gc import add_arguments, parse_duration, run_gc
from lineagegraph.errors import BadInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90s", timedelta(seconds=90)),
        ("1d12h", timedelta(hours=36)),
        ("1.5h", timedelta(minutes=90)),
        (" 2w ", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "5x", "-1h", "1h30"])
def test_bad_durations(text: str):
    with pytest.raises(BadInput, match="not a duration"):
        parse_duration(text)


class FakeStore:
    def __init__(self, report: GcReport) -> None:
        self.report = report
        self.calls: list[tuple[timedelta, bool]] = []

    def collect_garbage(self, referenced, older_than, *, dry_run=False):  # type: ignore[no-untyped-def]
        self.calls.append((older_than, dry_run))
        return self.report


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_short_grace_needs_to_be_asked_for():
    store = FakeStore(GcReport(dry_run=False, cutoff=datetime.now(UTC)))
    with pytest.raises(BadInput, match="allow-short-grace"):
        run_gc(store, references_from([]), _args("--older-than", "5m"))  # type: ignore[arg-type]
    assert store.calls == []
    run_gc(
        store,
        references_from([]),
        _args("--older-than", "5m", "--allow-short-grace"),  # type: ignore[arg-type]
        out=io.StringIO(),
    )
    assert store.calls == [(timedelta(minutes=5), False)]


def test_dry_run_report_says_would():
    now = datetime.now(UTC)
    report = GcReport(
        dry_run=True,
        cutoff=now,
        removed=[GcBlob("sha256:" + "a" * 64, 10, now)],
        aborted=[GcUpload("blobs/sha256/aa/x", "u1", now)],
        kept_referenced=3,
    )
    store = FakeStore(report)
    out = io.StringIO()
    assert run_gc(store, references_from([]), _args("--dry-run"), out) == 0  # type: ignore[arg-type]
    text = out.getvalue()
    assert store.calls == [(timedelta(hours=24), True)]
    assert "would remove sha256:" + "a" * 64 in text
    assert "would abort upload u1" in text
    assert "would remove 1 blobs (10 bytes)" in text
    assert "kept 3 referenced" in text
