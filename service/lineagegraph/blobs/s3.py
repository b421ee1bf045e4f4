"""The S3 client (minio SDK) opened from the settings; works with MinIO, AWS S3, Ceph, versitygw."""

from __future__ import annotations

from urllib.parse import urlsplit

from minio import Minio

from lineagegraph.config import Settings, secret
from lineagegraph.errors import ConfigError


def open_s3(settings: Settings) -> Minio:
    parts = urlsplit(settings.s3_endpoint)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"s3_endpoint must be http(s)://host:port, not {settings.s3_endpoint!r}")
    return Minio(
        parts.netloc,
        access_key=secret(settings.s3_access_key),
        secret_key=secret(settings.s3_secret_key),
        secure=parts.scheme == "https",
        region=settings.s3_region,
    )


def ensure_bucket(client: Minio, bucket: str) -> None:
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
