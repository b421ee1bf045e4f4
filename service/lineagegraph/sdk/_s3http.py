"""HTTP to presigned S3 URLs: byte counting, retry policy, S3 error mapping (no minio here)."""

from __future__ import annotations

import re
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpcore
import httpx

from lineagegraph.blob_protocol import (
    BlobNotFound,
    PresignedRequest,
    TransferFailed,
    UploadNotFound,
)
from lineagegraph.errors import LineageError, Unavailable


@dataclass
class TransferStats:
    """Bytes that went over the wire (retries included): dedup shows as bytes_sent == 0."""

    bytes_sent: int = 0
    bytes_received: int = 0
    requests: int = 0
    retries: int = 0
    parts_sent: int = 0
    parts_reused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff_seconds: float = 0.25
    max_backoff_seconds: float = 8.0

    def pause(self, attempt: int) -> None:
        time.sleep(min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt))


T = TypeVar("T")


class Retryable(Exception):
    """A transfer step that may work when tried again (network, 5xx, corrupted in transit)."""


class Expired(Retryable):
    """The presigned URL's lifetime is over: ask for a fresh one, then try again."""


def redact(url: str) -> str:
    """A URL without its query: presigned signatures are credentials, never put them in logs."""
    return url.split("?", 1)[0]


_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")


def s3_error(response: httpx.Response, what: str) -> Exception:
    """Map an S3 error response to what the caller does next (retry, refresh, or give up)."""
    body = response.content[:4096] if response.is_stream_consumed else response.read()[:4096]
    code_match, message_match = _CODE.search(body), _MESSAGE.search(body)
    code = code_match.group(1).decode() if code_match else ""
    message = message_match.group(1).decode() if message_match else response.reason_phrase
    status = response.status_code
    detail = f"{what}: S3 answered {status} {code or ''} {message}".rstrip()
    if status == 403 and "expired" in message.lower():
        return Expired(detail)
    if status >= 500 or status in {408, 429} or code in {"BadDigest", "RequestTimeout"}:
        return Retryable(detail)
    if code == "NoSuchUpload":
        return UploadNotFound(detail)
    if status == 404:
        return BlobNotFound(detail)
    return TransferFailed(detail, status=status, s3_code=code)


RECEIVE_BYTES = 1024**2


class _BigReads(httpcore.NetworkStream):
    """A socket stream that asks the kernel for up to 1 MiB per read instead of httpcore's
    64 KiB: a 500 MiB download is ~500 trips through h11 instead of ~8000, which halves the
    client's CPU for receiving (measured; on a 2-core box that CPU is what the hash needs).
    h11 takes any amount of received data, so reading more than asked changes nothing else."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max(max_bytes, RECEIVE_BYTES), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _BigReads(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _BigReadBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _BigReads(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _BigReads(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _BigReadTransport(httpx.HTTPTransport):
    """httpx's own transport (request/response mapping, errors), over a pool whose sockets
    read in 1 MiB (httpx has no parameter for httpcore's network backend, hence the pool)."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_BigReadBackend(),
        )


def default_http_client(concurrency: int) -> httpx.Client:
    limits = httpx.Limits(max_connections=max(4, concurrency * 2))
    # With proxies in the environment, httpx's own transports (which honour them) instead.
    transport = None if urllib.request.getproxies() else _BigReadTransport(limits)
    return httpx.Client(
        timeout=httpx.Timeout(connect=15.0, read=300.0, write=300.0, pool=60.0),
        limits=limits,
        follow_redirects=False,
        transport=transport,
    )


def call_service(fn: Callable[[], T], policy: RetryPolicy) -> T:
    """A BlobService call, retried on UNAVAILABLE answers: garbage collection holding the blob
    (BlobBusy), or S3 briefly unreachable from the service. Over GraphQL these arrive as the
    base class (errors.error_from_code), so the class to retry is Unavailable."""
    for attempt in range(policy.attempts):
        try:
            return fn()
        except Unavailable:
            if attempt == policy.attempts - 1:
                raise
            policy.pause(attempt)
    raise AssertionError("unreachable")


def counted(
    chunks: Iterator[bytes],
    stats: TransferStats,
    progress: Callable[[int], None] | None,
    tally: list[int],
) -> Iterator[bytes]:
    """Pass chunks to httpx, counting them as sent (``tally[0]`` for this attempt only)."""
    for chunk in chunks:
        stats.add(bytes_sent=len(chunk))
        tally[0] += len(chunk)
        if progress is not None:
            progress(len(chunk))
        yield chunk


def put(
    http: httpx.Client,
    request: PresignedRequest,
    body: Iterator[bytes],
    length: int,
    what: str,
    stats: TransferStats,
) -> str:
    """One presigned PUT; returns the ETag or raises Retryable/Expired/a final LineageError."""
    headers = dict(request.headers)
    headers.setdefault("content-length", str(length))
    stats.add(requests=1)
    try:
        response = http.request(request.method, request.url, content=body, headers=headers)
    except httpx.TransportError as exc:
        raise Retryable(f"{what}: {type(exc).__name__}: {redact(str(exc))}") from None
    if response.status_code != 200:
        raise s3_error(response, what)
    etag: str = response.headers.get("etag", "")
    return etag.strip('"')


def is_final(exc: BaseException) -> bool:
    return isinstance(exc, LineageError) and not isinstance(exc, Retryable)
