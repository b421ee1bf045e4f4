"""Moving artifact bytes straight between this machine and S3, over plain HTTP (httpx).

The service only plans and verifies (a ``BlobService``: the GraphQL client, or in tests and the
operator CLI the server's BlobStore itself); the bytes go to presigned URLs.

- ``upload(path)``: one pass hashes the file; ``begin_upload`` answers "stored" (dedup: no byte
  sent), or gives a single presigned PUT, or a multipart upload whose parts go up in parallel,
  streamed from disk, each retried on its own and resumable (parts S3 holds already, with the
  same SHA-256, are not sent again); then ``commit_upload`` verifies the object.
- ``download(digest | ticket, path)``: presigned GET, SHA-256 checked while writing a temporary
  file renamed into place only on success.

``stats`` counts bytes that really moved (cumulative); each result has its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import TracebackType

import httpx

from lineagegraph.blob_protocol import DownloadTicket, UploadLimits, normalize_digest
from lineagegraph.sdk._digest_cache import DigestCache
from lineagegraph.sdk._download import DownloadResult, check_target, download_ticket
from lineagegraph.sdk._progress import PhaseStarter
from lineagegraph.sdk._s3http import RetryPolicy, TransferStats, default_http_client
from lineagegraph.sdk._service import BlobService
from lineagegraph.sdk._upload import UploadResult, upload_file

__all__ = [
    "BlobService",
    "DownloadResult",
    "RetryPolicy",
    "TransferStats",
    "Transfers",
    "UploadResult",
]


class Transfers:
    def __init__(
        self,
        service: BlobService,
        *,
        http: httpx.Client | None = None,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        digest_cache: DigestCache | None = None,
    ) -> None:
        """``digest_cache``: skip the hash pass for a file it knows unchanged (None: always
        hash; ``DigestCache.from_settings(settings)`` gives the configured one)."""
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.service = service
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self._own_http = http is None
        self.http = http or default_http_client(concurrency)
        self.stats = TransferStats()
        self.digest_cache = digest_cache
        self._limits: UploadLimits | None = None

    def limits(self) -> UploadLimits:
        if self._limits is None:
            self._limits = self.service.upload_limits()
        return self._limits

    def upload(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        expected_digest: str | None = None,
        phases: PhaseStarter | None = None,
    ) -> UploadResult:
        result = upload_file(
            self.service,
            self.http,
            path,
            self.limits(),
            media_type=media_type,
            expected_digest=expected_digest,
            policy=self.retry,
            concurrency=self.concurrency,
            phases=phases,
            digest_cache=self.digest_cache,
        )
        self._count(result.stats)
        return result

    def download(
        self,
        source: str | DownloadTicket,
        path: str | os.PathLike[str],
        *,
        refresh: Callable[[], DownloadTicket] | None = None,
        phases: PhaseStarter | None = None,
        fsync: bool = False,
    ) -> DownloadResult:
        """``source``: a digest (ticket asked from the service, refreshed if it expires) or a
        ticket (``refresh`` says how to get a new one; without it an expired URL raises)."""
        check_target(path)  # before asking the service anything
        if isinstance(source, str):
            digest = normalize_digest(source)
            ticket = self.service.download_ticket(digest)
            refresh = refresh or (lambda: self.service.download_ticket(digest))
        else:
            ticket = source
        result = download_ticket(
            self.http, ticket, path, refresh=refresh, policy=self.retry, phases=phases, fsync=fsync
        )
        self._count(result.stats)
        return result

    def _count(self, stats: TransferStats) -> None:
        self.stats.add(
            bytes_sent=stats.bytes_sent,
            bytes_received=stats.bytes_received,
            requests=stats.requests,
            retries=stats.retries,
            parts_sent=stats.parts_sent,
            parts_reused=stats.parts_reused,
        )

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> Transfers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
