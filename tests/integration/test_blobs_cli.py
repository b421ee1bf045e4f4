"""``lineage artifact put|get|stat`` through the running service (GraphQL, presigned URLs to the
real S3), with and without a progress bar."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from minio import Minio

from lineagegraph.cli import artifact
from lineagegraph.config import Settings
from tests.conftest import run_service
from tests.integration._blob_helpers import MIB, abort_all_uploads, file_sha256, random_file


@pytest.fixture
def run(settings: Settings, s3: Minio, monkeypatch: pytest.MonkeyPatch):
    tuned = settings.model_copy(
        update={"multipart_threshold": 8 * MIB, "multipart_part_size": 8 * MIB}
    )
    # no S3 credentials on the CLI's side: only the service's address
    for name in ("LINEAGE_S3_ACCESS_KEY", "LINEAGE_S3_SECRET_KEY", "LINEAGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with run_service(tuned) as live:
        monkeypatch.setenv("LINEAGE_URL", live.url)

        def invoke(*argv: str) -> int:
            parser = argparse.ArgumentParser(prog="lineage")
            artifact.register(parser.add_subparsers(dest="command", required=True))
            args = parser.parse_args(["artifact", *argv])
            code: int = args.handler(args)
            return code

        yield invoke
    abort_all_uploads(s3, settings.s3_bucket)


def test_put_get_stat(run, tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    source = tmp_path / "model.bin"
    digest = random_file(source, 20 * MIB, seed=51)

    assert run("put", str(source), "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["digest"] == digest
    assert first["bytes_sent"] == 20 * MIB
    assert first["deduplicated"] is False

    assert run("put", str(source)) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"already stored {digest}")
    assert "sent 0 B" in err
    assert "uploading" not in err  # stderr is not a terminal: no bar

    assert run("stat", digest, "--json") == 0
    assert json.loads(capsys.readouterr().out)["size"] == 20 * MIB
    assert run("stat", "sha256:" + "0" * 64) == 1

    target = tmp_path / "copy.bin"
    assert run("get", digest, str(target), "--progress", "always") == 0
    out, err = capsys.readouterr()
    assert "(verified)" in out
    assert "downloading" in err  # forced bar: size, rate and ETA on stderr
    assert "20.0M" in err
    assert file_sha256(target) == digest


def test_progress_bar_shows_size_rate_and_eta(run, tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    source = tmp_path / "data.bin"
    random_file(source, 12 * MIB, seed=52)
    assert run("put", str(source), "--progress", "always") == 0
    err = capsys.readouterr().err
    assert "hashing" in err
    assert "uploading" in err
    assert "12.0M/12.0M" in err  # size
    assert "B/s" in err  # rate
    assert "<" in err  # elapsed<remaining (ETA)
