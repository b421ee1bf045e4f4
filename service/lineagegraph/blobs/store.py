"""BlobStore: the service's side of the blob protocol, one object for the GraphQL resolvers.

Its methods answer blob_protocol requests (the SDK's ``BlobService`` protocol has the same names),
so tests and the operator CLI can hand a BlobStore straight to the SDK's transfer functions, and
the GraphQL layer maps each mutation onto one method. Synchronous: call from a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta

from minio import Minio

from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobInfo,
    CommitUpload,
    DownloadTicket,
    PresignedRequest,
    PresignParts,
    ReferenceInfo,
    UploadLimits,
    UploadPlan,
    normalize_digest,
)
from lineagegraph.blobs import downloads, gc, uploads
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.presign import Presigner
from lineagegraph.blobs.s3 import open_s3
from lineagegraph.blobs.verify import is_proven, verify_blob
from lineagegraph.config import Settings


@dataclass(frozen=True)
class BlobStore:
    settings: Settings = field(repr=False)
    client: Minio = field(repr=False)
    presigner: Presigner = field(repr=False)

    @classmethod
    def open(cls, settings: Settings, client: Minio | None = None) -> BlobStore:
        return cls(settings, client or open_s3(settings), Presigner.from_settings(settings))

    @property
    def bucket(self) -> str:
        return self.settings.s3_bucket

    # --- uploads (the SDK's BlobService) -----------------------------------------------------
    def upload_limits(self) -> UploadLimits:
        return UploadLimits(
            max_artifact_size=self.settings.max_artifact_size,
            multipart_threshold=self.settings.multipart_threshold,
            multipart_part_size=self.settings.multipart_part_size,
            presign_expiry_seconds=self.settings.presign_expiry_seconds,
        )

    def begin_upload(self, request: BeginUpload) -> UploadPlan:
        return uploads.begin_upload(self, request)

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]:
        return uploads.presign_parts(self, request)

    def commit_upload(self, request: CommitUpload) -> BlobInfo:
        return uploads.commit_upload(self, request)

    def abort_upload(self, digest: str, upload_id: str) -> bool:
        return uploads.abort_upload(self, normalize_digest(digest), upload_id)

    def download_ticket(self, digest: str) -> DownloadTicket:
        return downloads.presign_download(self, digest)

    # --- for the graph side ------------------------------------------------------------------
    def stat(self, digest: str) -> BlobInfo | None:
        """The verified blob for ``digest``, or None (a corrupt one is removed first)."""
        digest = normalize_digest(digest)
        verified = verify_blob(self.client, self.bucket, digest, None)
        return None if verified is None else uploads.blob_info(self, digest, verified)

    def is_proven(self, digest: str) -> bool:
        """The blob is stored with a proof of its SHA-256 (no read; see verify.is_proven)."""
        return is_proven(self.client, self.bucket, normalize_digest(digest))

    def claim_for_registration(self, digest: str) -> bool:
        """Before a registration naming this blob is written to the graph: claim it (so a
        garbage collection deciding now keeps it, claims.py), refuse while one holds it
        (BlobBusy: retry), and say whether it is stored and proven (False: record PENDING)."""
        digest = normalize_digest(digest)
        uploads.claim(self, digest)
        return is_proven(self.client, self.bucket, digest)

    @property
    def storage(self) -> str:
        return f"s3://{self.bucket}"

    def uri_of(self, digest: str) -> str:
        return f"s3://{self.bucket}/{blob_key(digest)}"

    def check_reference(
        self, uri: str, digest: str | None = None, size: int | None = None
    ) -> ReferenceInfo:
        return downloads.check_reference(self, uri, digest, size)

    def reference_ticket(
        self, uri: str, digest: str | None = None, size: int | None = None
    ) -> DownloadTicket:
        return downloads.reference_ticket(self, uri, digest, size)

    def collect_garbage(
        self,
        referenced: Callable[[Collection[str]], Collection[str]],
        older_than: timedelta,
        *,
        dry_run: bool = False,
    ) -> gc.GcReport:
        return gc.collect_garbage(self.client, self.bucket, referenced, older_than, dry_run=dry_run)
