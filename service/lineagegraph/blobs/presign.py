"""SigV4 presigned URLs that also sign headers (the minio SDK presigns ``host`` only).

Signing ``x-amz-checksum-sha256`` and ``content-length`` into an upload URL makes S3 itself refuse
a body of another length or hash (``BadDigest``), and a client cannot drop the header: S3 rejects
presigned requests carrying unsigned ``x-amz-*`` headers. Path-style URLs, payload unsigned (the
checksum header covers the body).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlsplit

from lineagegraph.blob_protocol import PresignedRequest
from lineagegraph.config import Settings, secret
from lineagegraph.errors import ConfigError

ALGORITHM = "AWS4-HMAC-SHA256"


def _enc(value: str) -> str:
    return quote(value, safe="-_.~")


@dataclass(frozen=True)
class Presigner:
    endpoint: str  # scheme://host[:port] the *client* reaches S3 at
    region: str
    access_key: str
    secret_key: str = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Presigner:
        endpoint = settings.s3_endpoint.rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"s3_endpoint must be http(s)://host:port, not {endpoint!r}")
        access, secret_key = secret(settings.s3_access_key), secret(settings.s3_secret_key)
        if not access or not secret_key:
            raise ConfigError("s3_access_key and s3_secret_key are needed to presign URLs")
        return cls(endpoint, settings.s3_region, access, secret_key)

    def presign(
        self,
        method: Literal["GET", "PUT"],
        bucket: str,
        key: str,
        expires: timedelta,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        now: datetime | None = None,
    ) -> PresignedRequest:
        """A URL valid for ``expires``; the client must send exactly ``headers`` with it."""
        seconds = int(expires.total_seconds())
        if not 1 <= seconds <= 7 * 24 * 3600:
            raise ValueError("presigned URL lifetime must be 1 s to 7 days")
        when = (now or datetime.now(UTC)).astimezone(UTC)
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        scope = f"{when:%Y%m%d}/{self.region}/s3/aws4_request"
        host = urlsplit(self.endpoint).netloc
        path = f"/{_enc(bucket)}/{quote(key, safe='-_.~/')}"
        signed = {"host": host} | {k.lower(): v.strip() for k, v in (headers or {}).items()}
        signed_names = ";".join(sorted(signed))
        params = dict(query or {})
        params |= {
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": f"{self.access_key}/{scope}",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(seconds),
            "X-Amz-SignedHeaders": signed_names,
        }
        canonical_query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
        canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in sorted(signed))
        canonical_request = "\n".join(
            [method, path, canonical_query, canonical_headers, signed_names, "UNSIGNED-PAYLOAD"]
        )
        to_sign = "\n".join(
            [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        key_bytes = ("AWS4" + self.secret_key).encode()
        for part in (f"{when:%Y%m%d}", self.region, "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        url = f"{self.endpoint}{path}?{canonical_query}&X-Amz-Signature={signature}"
        return PresignedRequest(
            method=method,
            url=url,
            headers={k: v for k, v in (headers or {}).items() if k.lower() != "host"},
            expires_at=when + timedelta(seconds=seconds),
        )
