"""The blob transfer protocol between the SDK and the service: requests, plans, tickets, errors.

Like models.py for ingest, this module is the wire contract for moving bytes: the service
(``lineagegraph.blobs``) answers these requests, the SDK (``lineagegraph.sdk._transfer``) sends
them; the GraphQL layer carries them unchanged. It imports nothing server-side.

Flow of an upload: ``upload_limits`` (once) -> ``begin_upload`` -> ``presign_parts`` (multipart
only, as parts are about to be sent) -> PUTs straight to S3 -> ``commit_upload``.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lineagegraph.errors import BadInput, NotFound, Unavailable

_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_PARTS = 10_000  # S3's limit on parts per multipart upload
MIN_PART_SIZE = 5 * 1024**2  # S3's minimum size of every part but the last
MAX_PART_SIZE = 5 * 1024**3  # S3's maximum part (and single PUT) size


def normalize_digest(value: str, *, field: str = "digest") -> str:
    """``sha256:<64 hex>`` (bare hex and upper case accepted) -> ``sha256:<64 lowercase hex>``."""
    raw = value.strip()
    algo, sep, hexdigest = raw.partition(":")
    if not sep:
        algo, hexdigest = "sha256", raw
    hexdigest = hexdigest.lower()
    if algo.lower() != "sha256" or not _HEX64.fullmatch(hexdigest):
        raise BadInput(f"{field} must be sha256:<64 hex digits>, not {value[:80]!r}", field=field)
    return f"sha256:{hexdigest}"


def digest_hex(digest: str) -> str:
    return normalize_digest(digest).removeprefix("sha256:")


def digest_b64(digest: str) -> str:
    """The base64 form S3 uses in ``x-amz-checksum-sha256``."""
    return base64.b64encode(bytes.fromhex(digest_hex(digest))).decode()


def check_crc32_b64(value: str, *, field: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 4:
        raise BadInput(f"{field} must be a base64 CRC32 (4 bytes, big-endian)", field=field)
    return value


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UploadLimits(_Wire):
    max_artifact_size: int
    multipart_threshold: int
    multipart_part_size: int
    presign_expiry_seconds: int


class BeginUpload(_Wire):
    digest: str
    size: int = Field(ge=0)
    media_type: str | None = Field(None, max_length=255)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        return normalize_digest(value)


class PresignedRequest(_Wire):
    """One HTTP request the client may send straight to S3, headers included (they are signed)."""

    method: Literal["GET", "PUT"]
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime

    def __repr__(self) -> str:  # a presigned URL is a bearer credential: keep it out of logs
        return f"PresignedRequest({self.method} {self.url.split('?', 1)[0]}, ...)"

    __str__ = __repr__


class StoredPart(_Wire):
    """A part S3 already holds for a resumable upload (S3 checked its ``crc32`` on arrival)."""

    number: int = Field(ge=1, le=MAX_PARTS)
    size: int = Field(ge=0)
    crc32: str  # base64, big-endian
    etag: str


class BlobInfo(_Wire):
    """A verified blob: what the artifact node records (``uri``, ``digest``, ``size``, ...)."""

    digest: str
    size: int
    uri: str
    storage: str  # s3://bucket
    media_type: str | None = None
    verified_by: Literal["s3-checksum", "read", "tag"]  # how its SHA-256 was established
    deduplicated: bool = False  # True when begin_upload found it stored already


class UploadPlan(_Wire):
    """The answer to begin_upload: the blob is ``stored`` already (dedup: send nothing), or goes up
    as one presigned PUT (``single``), or as a ``multipart`` upload with ``part_size`` parts."""

    digest: str
    size: int
    uri: str  # s3://bucket/blobs/sha256/..
    state: Literal["stored", "single", "multipart"]
    blob: BlobInfo | None = None  # when stored
    single: PresignedRequest | None = None
    upload_id: str | None = None
    part_size: int | None = None
    part_count: int = 0
    stored_parts: list[StoredPart] = Field(default_factory=list)


class PartRequest(_Wire):
    number: int = Field(ge=1, le=MAX_PARTS)
    # CRC32 of the part (base64, big-endian), signed into its URL and checked by S3 on arrival:
    # it catches bytes damaged on the way; the blob's SHA-256 is proven at commit.
    crc32: str

    @field_validator("crc32")
    @classmethod
    def _crc(cls, value: str) -> str:
        return check_crc32_b64(value, field="crc32")


class PresignParts(_Wire):
    digest: str
    size: int = Field(ge=0)
    upload_id: str = Field(min_length=1, max_length=1024)
    part_size: int = Field(ge=MIN_PART_SIZE, le=MAX_PART_SIZE)
    parts: list[PartRequest] = Field(min_length=1, max_length=MAX_PARTS)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        return normalize_digest(value)


class CompletedPart(_Wire):
    number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=200)


class CommitUpload(_Wire):
    digest: str
    size: int = Field(ge=0)
    upload_id: str | None = None  # None: the single PUT of the plan
    parts: list[CompletedPart] = Field(default_factory=list, max_length=MAX_PARTS)
    media_type: str | None = Field(None, max_length=255)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        return normalize_digest(value)


class DownloadTicket(_Wire):
    """Where to GET the bytes (presigned S3, https, or file://) and what they must hash to."""

    url: str
    digest: str | None = None  # None for a reference registered without a digest
    size: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"DownloadTicket({self.url.split('?', 1)[0]}, digest={self.digest})"

    __str__ = __repr__


class ReferenceInfo(_Wire):
    """An artifact registered where it lives (not copied)."""

    uri: str
    storage: str  # scheme://bucket or scheme://host
    digest: str | None = None
    size: int | None = None
    verified: bool = False  # the service could check size/digest against the store itself
    is_reference: bool = True


# --- errors a transfer can end with (codes from errors.py) -----------------------------------
class DigestMismatch(BadInput):
    """Bytes do not hash to the declared digest (or have another size); nothing was kept."""

    def __init__(self, message: str, *, field: str | None = "digest", **details: Any) -> None:
        super().__init__(message, field=field, **details)


class BlobTooLarge(BadInput):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"artifact of {size} bytes is over the limit of {limit} bytes (max_artifact_size)",
            field="size",
            size=size,
            limit=limit,
        )


class BlobNotFound(NotFound):
    pass


class UploadNotFound(NotFound):
    """The multipart upload is gone (committed by someone else, aborted, or collected)."""


class BlobBusy(Unavailable):
    """A garbage collection is deciding about this blob right now: retry in a moment."""


class PresignedUrlExpired(Unavailable):
    """S3 refused a presigned URL because its lifetime (presign_expiry_seconds) is over."""


class TransferFailed(Unavailable):
    """S3 kept failing a transfer after the retries."""
