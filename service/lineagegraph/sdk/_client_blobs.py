"""The client's artifact bytes: uploads behind ``register_*(path=...)`` / ``run.log_*(path=...)``
and ``client.download``, through the service's blob protocol (GraphQL), bytes straight to S3.

An upload runs in the calling thread before the registration event is spooled: the event then
records the blob the service has proven (``uri``, ``digest``, ``size``), so it is AVAILABLE the
moment it is applied. If the service or S3 cannot be reached, the client keeps the bytes in the
spool and registers the artifact PENDING with their digest instead (``Client._store``,
``_kept.keep_upload``); bad input still raises and registers nothing.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from lineagegraph.blob_protocol import BlobInfo, DownloadTicket, normalize_digest
from lineagegraph.errors import BadInput, ConfigError
from lineagegraph.sdk._digest_cache import DigestCache
from lineagegraph.sdk._download import DownloadResult
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService
from lineagegraph.sdk._service import BlobService
from lineagegraph.sdk._transfer import Transfers
from lineagegraph.sdk._upload import UploadResult

_DIGEST = re.compile(r"^(sha256:)?[0-9a-fA-F]{64}$")


def configured_digest_cache() -> DigestCache | None:
    """The digest cache the environment's settings ask for (``LINEAGE_DIGEST_CACHE``,
    ``LINEAGE_DIGEST_CACHE_PATH``, else beside ``LINEAGE_SPOOL_DIR``); None when off."""
    from lineagegraph.config import load_settings

    try:
        return DigestCache.from_settings(load_settings())
    except ConfigError:
        return None


class ClientBlobs:
    def __init__(
        self,
        service: BlobService,
        *,
        concurrency: int = 4,
        digest_cache: DigestCache | bool = True,  # True: as configured; False: none
    ) -> None:
        self.service = service
        self.concurrency = concurrency
        self._digest_cache = digest_cache
        self._transfers: Transfers | None = None
        self._lock = threading.Lock()
        self.last_upload: UploadResult | None = None

    @classmethod
    def over_graphql(cls, url: str, token: str | None) -> ClientBlobs:
        return cls(GraphQLBlobService(url, token))

    def transfers(self) -> Transfers:
        with self._lock:
            if self._transfers is None:
                chosen = self._digest_cache
                cache = (
                    chosen
                    if isinstance(chosen, DigestCache)
                    else configured_digest_cache()
                    if chosen
                    else None
                )
                self._transfers = Transfers(
                    self.service, concurrency=self.concurrency, digest_cache=cache
                )
            return self._transfers

    def upload(self, path: Path, media_type: str | None, declared: str | None) -> BlobInfo:
        """The ``store_file`` upload hook (sdk/artifacts.py)."""
        result = self.transfers().upload(path, media_type=media_type, expected_digest=declared)
        self.last_upload = result
        return result.blob

    def download(self, source: str, path: str | os.PathLike[str], **options: Any) -> DownloadResult:
        """``source``: an artifact ref, or the digest of a stored blob."""
        transfers = self.transfers()
        if _DIGEST.match(source.strip()):
            return transfers.download(normalize_digest(source), path, **options)
        by_ref = getattr(self.service, "artifact_ticket", None)
        if not callable(by_ref):
            raise BadInput("this client downloads by digest only (sha256:...)", field="ref")

        def ticket() -> DownloadTicket:
            found: DownloadTicket = by_ref(source)
            return found

        from lineagegraph.sdk._download import check_target

        check_target(path)  # before asking the service anything
        return transfers.download(ticket(), path, refresh=ticket, **options)

    def close(self) -> None:
        with self._lock:
            transfers, self._transfers = self._transfers, None
        if transfers is not None:
            transfers.close()
        closer = getattr(self.service, "close", None)
        if callable(closer) and isinstance(self.service, GraphQLBlobService):
            closer()
