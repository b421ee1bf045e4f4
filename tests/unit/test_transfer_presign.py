"""The SigV4 presigner: identical to minio's for host-only URLs, and signs the extra headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from minio import Minio

from lineagegraph.blobs.presign import Presigner
from lineagegraph.blobs.uploads import part_count, part_length, part_size_for
from lineagegraph.config import load_settings
from lineagegraph.errors import ConfigError

WHEN = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
SIGNER = Presigner("http://127.0.0.1:9000", "us-east-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")


@pytest.mark.parametrize("key", ["blobs/sha256/ab/" + "ab" * 32, "odd key/with+plus=and é"])
def test_host_only_url_equals_minios(key: str):
    ours = SIGNER.presign("GET", "lineage", key, timedelta(minutes=15), now=WHEN)
    client = Minio(
        "127.0.0.1:9000", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", secure=False, region="us-east-1"
    )
    theirs = client.get_presigned_url(
        "GET", "lineage", key, expires=timedelta(minutes=15), request_date=WHEN
    )
    assert ours.url == theirs
    assert ours.expires_at == WHEN + timedelta(minutes=15)
    assert ours.headers == {}


def test_extra_headers_are_signed_and_returned():
    headers = {
        "x-amz-checksum-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "content-length": "0",
    }
    request = SIGNER.presign(
        "PUT",
        "lineage",
        "k",
        timedelta(seconds=60),
        query={"partNumber": "1", "uploadId": "u"},
        headers=headers,
        now=WHEN,
    )
    query = parse_qs(urlsplit(request.url).query)
    assert query["X-Amz-SignedHeaders"] == ["content-length;host;x-amz-checksum-sha256"]
    assert query["partNumber"] == ["1"]
    assert query["X-Amz-Expires"] == ["60"]
    assert request.headers == headers
    other = SIGNER.presign(
        "PUT",
        "lineage",
        "k",
        timedelta(seconds=60),
        query={"partNumber": "1", "uploadId": "u"},
        headers={**headers, "content-length": "1"},
        now=WHEN,
    )
    assert other.url != request.url  # the length is part of the signature


def test_secrets_stay_out_of_reprs():
    request = SIGNER.presign("GET", "b", "k", timedelta(seconds=5), now=WHEN)
    assert "wJalr" not in repr(SIGNER)
    assert "X-Amz-Signature" not in repr(request)
    assert "X-Amz-Signature" not in str(request)


def test_lifetime_bounds_and_config():
    with pytest.raises(ValueError, match="1 s to 7 days"):
        SIGNER.presign("GET", "b", "k", timedelta(days=8))
    with pytest.raises(ConfigError, match="needed to presign"):
        Presigner.from_settings(load_settings(s3_access_key=None, s3_secret_key=None))


def test_part_layout():
    mib = 1024**2
    assert part_size_for(100 * mib, 64 * mib) == 64 * mib
    assert part_size_for(1_000_000 * mib, 64 * mib) == 100 * mib  # 10,000 parts at most
    assert part_count(0, 64 * mib) == 1
    assert part_count(128 * mib, 64 * mib) == 2
    assert part_count(128 * mib + 1, 64 * mib) == 3
    assert part_length(128 * mib + 1, 64 * mib, 3) == 1
    assert sum(part_length(300 * mib + 7, 64 * mib, n) for n in range(1, 6)) == 300 * mib + 7
