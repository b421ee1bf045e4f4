"""The S3 behind the tests is a real server: put/get/stat/delete and a presigned GET."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta

import httpx
import pytest
from minio import Minio
from minio.error import S3Error


def test_put_get_stat_delete_with_checksum(s3: Minio, bucket: str):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    digest = hashlib.sha256(payload).hexdigest()
    s3.put_object(bucket, "blob/a", io.BytesIO(payload), len(payload))

    stat = s3.stat_object(bucket, "blob/a")
    assert stat.size == len(payload)
    response = s3.get_object(bucket, "blob/a")
    try:
        fetched = response.read()
    finally:
        response.close()
        response.release_conn()
    assert hashlib.sha256(fetched).hexdigest() == digest

    s3.remove_object(bucket, "blob/a")
    with pytest.raises(S3Error) as excinfo:
        s3.stat_object(bucket, "blob/a")
    assert excinfo.value.code in {"NoSuchKey", "NoSuchObject", "ResponseError"}


def test_presigned_get_over_plain_http(s3: Minio, bucket: str, http: httpx.Client):
    payload = b"presigned \x00 bytes " * 1000
    s3.put_object(bucket, "p/q", io.BytesIO(payload), len(payload))
    url = s3.presigned_get_object(bucket, "p/q", expires=timedelta(minutes=5))
    assert url.startswith("http://127.0.0.1") or url.startswith("http://localhost")
    response = http.get(url)
    assert response.status_code == 200
    assert response.content == payload
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert http.get(tampered).status_code == 403
