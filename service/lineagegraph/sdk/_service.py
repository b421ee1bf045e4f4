"""BlobService: the calls the SDK's transfers make to the service (protocol only)."""

from __future__ import annotations

from typing import Protocol

from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobInfo,
    CommitUpload,
    DownloadTicket,
    PresignedRequest,
    PresignParts,
    UploadLimits,
    UploadPlan,
)


class BlobService(Protocol):
    """Names and types as in lineagegraph.blobs.store.BlobStore, which satisfies it in-process;
    the GraphQL client satisfies it over the wire (one mutation or query per method)."""

    def upload_limits(self) -> UploadLimits: ...

    def begin_upload(self, request: BeginUpload) -> UploadPlan: ...

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]: ...

    def commit_upload(self, request: CommitUpload) -> BlobInfo: ...

    def download_ticket(self, digest: str) -> DownloadTicket: ...
