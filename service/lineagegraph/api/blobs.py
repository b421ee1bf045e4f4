"""The blob protocol over GraphQL: the service plans and verifies uploads, the bytes go straight to
S3 through presigned URLs (blobs/__init__.py has the protocol, blob_protocol.py the wire types).

- ``uploadLimits`` (query, write scope): sizes the client needs to plan an upload.
- ``beginUpload`` -> already ``STORED`` (dedup: send nothing), one presigned PUT (``SINGLE``), or
  a ``MULTIPART`` upload (part URLs from ``presignUploadParts``, asked for as parts go out, also
  to retry or resume). ``commitUpload`` proves size and SHA-256 (S3's checksum or a read by the
  service); a mismatch is rejected and the object removed. Then the PENDING artifacts that name
  this blob become AVAILABLE. ``abortUpload`` drops an unfinished multipart upload.
- ``downloadUrl(ref | digest)`` (query, read scope): a presigned GET and what the bytes must hash
  to; an artifact still PENDING has none. ``blob(digest)``: is it stored and proven?

Registrations pass ``gate_events`` first: a stored artifact (its ``uri`` in this bucket, not a
reference) claims its blob (garbage collection keeps a claimed blob; while a collection holds it
the registration is UNAVAILABLE and retried), and one that says AVAILABLE before its blob is
proven is recorded PENDING instead, and
``settle_pending`` promotes it right after the write if the blob got proven meanwhile (so a commit
racing the registration cannot leave it PENDING). Errors keep their typed codes; an S3 outage is
UNAVAILABLE (clients retry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry
import urllib3.exceptions
from minio.error import MinioException, S3Error
from pydantic import ValidationError
from strawberry.permission import BasePermission

from lineagegraph import blob_protocol as wire
from lineagegraph.api.context import in_thread
from lineagegraph.api.permissions import CanRead, CanWrite
from lineagegraph.api.types import Info, Long
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.presign import Presigner
from lineagegraph.blobs.references import promote_pending
from lineagegraph.blobs.store import BlobStore
from lineagegraph.errors import BadInput, LineageError, NotFound, Unavailable
from lineagegraph.models import ArtifactRegistered, ArtifactStatus, IngestEvent
from lineagegraph.refs import NodeKind, parse_ref

T = TypeVar("T")
_READ: list[type[BasePermission]] = [CanRead]
_WRITE: list[type[BasePermission]] = [CanWrite]
_ARTIFACT_KINDS = frozenset(
    {
        NodeKind.DATASET_SNAPSHOT.value,
        NodeKind.FEATURE_DEFINITION.value,
        NodeKind.MODEL.value,
        NodeKind.EVALUATION_REPORT.value,
    }
)


def blob_store(info: Info) -> BlobStore:
    resources = info.context.request.state.resources  # opened by app.py's lifespan
    settings = info.context.settings
    return BlobStore(settings, resources.s3, Presigner.from_settings(settings))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def _call(fn: Callable[..., T], *args: Any, inputs: bool = False) -> T:
    """A blocking BlobStore call in a worker thread; S3 trouble becomes UNAVAILABLE. With
    ``inputs`` a BadInput names the mutation's input field (size -> input.size)."""
    try:
        return await in_thread(fn, *args)
    except BadInput as exc:
        if not inputs or not exc.field or exc.field.startswith("input"):
            raise
        details = {k: v for k, v in exc.details.items() if k != "field"}
        raise BadInput(exc.message, field=f"input.{_camel(exc.field)}", **details) from None
    except LineageError:
        raise
    except S3Error as exc:
        raise Unavailable(f"the object store refused a request: {exc.code}") from None
    except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise Unavailable(f"the object store is unavailable: {type(exc).__name__}") from None


def _request(model: type[T], **values: Any) -> T:
    """A blob_protocol request; its validation errors name the input field."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(_camel(str(p)) if isinstance(p, str) else f"[{p}]" for p in first["loc"])
        field = f"input.{where}".replace(".[", "[")
        raise BadInput(f"{field}: {first['msg']}", field=field) from None
    except BadInput as exc:
        field = f"input.{exc.field}" if exc.field else "input"
        raise BadInput(exc.message, field=field) from None


def _digest(value: str, field: str) -> str:
    return wire.normalize_digest(value, field=field)


# --- output types -------------------------------------------------------------------------------
@strawberry.enum(description="What the client does next with an upload plan.")
class UploadState(Enum):
    STORED = "stored"  # the blob is there and proven: send nothing
    SINGLE = "single"  # one presigned PUT
    MULTIPART = "multipart"  # parts to presignUploadParts URLs, then commitUpload


@strawberry.enum
class BlobProof(Enum):
    S3_CHECKSUM = "s3-checksum"
    READ = "read"
    TAG = "tag"


@strawberry.type(description="A header the client must send exactly as given (it is signed).")
class HttpHeader:
    name: str
    value: str


@strawberry.type(description="One request straight to S3; the URL is a bearer credential.")
class PresignedRequest:
    method: str
    url: str
    headers: list[HttpHeader]
    expires_at: datetime

    @classmethod
    def of(cls, request: wire.PresignedRequest) -> PresignedRequest:
        return cls(
            method=request.method,
            url=request.url,
            headers=[HttpHeader(name=k, value=v) for k, v in request.headers.items()],
            expires_at=request.expires_at,
        )


@strawberry.type(description="A blob stored and proven: what an artifact node records.")
class Blob:
    digest: str
    size: Long
    uri: str
    storage: str
    media_type: str | None
    verified_by: BlobProof
    deduplicated: bool

    @classmethod
    def of(cls, blob: wire.BlobInfo) -> Blob:
        return cls(
            digest=blob.digest,
            size=Long(blob.size),
            uri=blob.uri,
            storage=blob.storage,
            media_type=blob.media_type,
            verified_by=BlobProof(blob.verified_by),
            deduplicated=blob.deduplicated,
        )


@strawberry.type
class StoredPart:
    number: int
    size: Long
    crc32: str
    etag: str


@strawberry.type
class UploadPlan:
    digest: str
    size: Long
    uri: str
    state: UploadState
    blob: Blob | None = None
    single: PresignedRequest | None = None
    upload_id: str | None = None
    part_size: Long | None = None
    part_count: int = 0
    stored_parts: list[StoredPart] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, plan: wire.UploadPlan) -> UploadPlan:
        return cls(
            digest=plan.digest,
            size=Long(plan.size),
            uri=plan.uri,
            state=UploadState(plan.state),
            blob=Blob.of(plan.blob) if plan.blob else None,
            single=PresignedRequest.of(plan.single) if plan.single else None,
            upload_id=plan.upload_id,
            part_size=Long(plan.part_size) if plan.part_size is not None else None,
            part_count=plan.part_count,
            stored_parts=[
                StoredPart(number=p.number, size=Long(p.size), crc32=p.crc32, etag=p.etag)
                for p in plan.stored_parts
            ],
        )


@strawberry.type
class UploadLimits:
    max_artifact_size: Long
    multipart_threshold: Long
    multipart_part_size: Long
    presign_expiry_seconds: int


@strawberry.type
class CommitUploadResult:
    blob: Blob
    promoted: list[str] = strawberry.field(
        description="Refs of PENDING artifacts naming this blob that are AVAILABLE now."
    )


@strawberry.type(description="Where to GET an artifact's bytes and what they must hash to.")
class DownloadTicket:
    url: str
    digest: str | None
    size: Long | None
    headers: list[HttpHeader]
    expires_at: datetime | None

    @classmethod
    def of(cls, ticket: wire.DownloadTicket) -> DownloadTicket:
        return cls(
            url=ticket.url,
            digest=ticket.digest,
            size=Long(ticket.size) if ticket.size is not None else None,
            headers=[HttpHeader(name=k, value=v) for k, v in ticket.headers.items()],
            expires_at=ticket.expires_at,
        )


# --- inputs ---------------------------------------------------------------------------------------
@strawberry.input
class BeginUploadInput:
    digest: str = strawberry.field(description="sha256:<64 hex> of the whole file")
    size: Long
    media_type: str | None = None


@strawberry.input
class UploadPartInput:
    number: int
    crc32: str = strawberry.field(description="CRC32 of the part, base64 big-endian (signed)")


@strawberry.input
class PresignUploadPartsInput:
    digest: str
    size: Long
    upload_id: str
    part_size: Long
    parts: list[UploadPartInput]


@strawberry.input
class CompletedPartInput:
    number: int
    etag: str


@strawberry.input
class CommitUploadInput:
    digest: str
    size: Long
    upload_id: str | None = strawberry.field(
        default=None, description="Omitted for the single PUT of the plan."
    )
    parts: list[CompletedPartInput] = strawberry.field(default_factory=list)
    media_type: str | None = None


@strawberry.input
class AbortUploadInput:
    digest: str
    upload_id: str


# --- resolvers ------------------------------------------------------------------------------------
@strawberry.type
class BlobQuery:
    @strawberry.field(permission_classes=_WRITE, description="Sizes to plan an upload with.")
    def upload_limits(self, info: Info) -> UploadLimits:
        limits = blob_store(info).upload_limits()
        return UploadLimits(
            max_artifact_size=Long(limits.max_artifact_size),
            multipart_threshold=Long(limits.multipart_threshold),
            multipart_part_size=Long(limits.multipart_part_size),
            presign_expiry_seconds=limits.presign_expiry_seconds,
        )

    @strawberry.field(
        permission_classes=_READ,
        description="A presigned GET for an artifact (ref) or a stored blob (digest): exactly one.",
    )
    async def download_url(
        self, info: Info, ref: str | None = None, digest: str | None = None
    ) -> DownloadTicket:
        if (ref is None) == (digest is None):
            raise BadInput("give exactly one of ref and digest", field="ref")
        store = blob_store(info)
        if digest is not None:
            d = _digest(digest, "digest")
            return DownloadTicket.of(await _call(store.download_ticket, d))
        assert ref is not None
        return DownloadTicket.of(await _artifact_ticket(info, store, ref))

    @strawberry.field(
        permission_classes=_READ, description="The stored, proven blob of a digest, or null."
    )
    async def blob(self, info: Info, digest: str) -> Blob | None:
        found = await _call(blob_store(info).stat, _digest(digest, "digest"))
        return Blob.of(found) if found is not None else None


async def _artifact_ticket(info: Info, store: BlobStore, ref: str) -> wire.DownloadTicket:
    canonical = str(parse_ref(ref, field="ref"))
    node = await info.context.loaders.nodes.load(canonical)
    if node is None:
        raise NotFound(f"{canonical} does not exist", field="ref")
    if node.get("kind") not in _ARTIFACT_KINDS:
        raise BadInput(f"{canonical} is not an artifact: it has no bytes", field="ref")
    if node.get("status") == ArtifactStatus.PENDING.value:
        raise NotFound(f"{canonical} is PENDING: its bytes are not verified yet", field="ref")
    digest, uri, size = node.get("digest"), node.get("uri"), node.get("sizeBytes")
    if digest and (not uri or uri == store.uri_of(digest)) and not node.get("isReference"):
        return await _call(store.download_ticket, digest)
    if not uri:
        raise NotFound(f"{canonical} records no bytes (no digest and no uri)", field="ref")
    return await _call(store.reference_ticket, uri, digest, size)


@strawberry.type
class BlobMutation:
    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Plan an upload: STORED (dedup, send nothing), SINGLE or MULTIPART.",
    )
    async def begin_upload(self, info: Info, input: BeginUploadInput) -> UploadPlan:
        request = _request(
            wire.BeginUpload, digest=input.digest, size=input.size, media_type=input.media_type
        )
        store = blob_store(info)
        plan = await _call(store.begin_upload, request, inputs=True)
        if plan.state == "stored":  # proven already (maybe by a PUT never committed): promote
            await _promote(info, store, [plan.digest])
        return UploadPlan.of(plan)

    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Presigned PUT URLs for parts of a multipart upload (also to retry/resume).",
    )
    async def presign_upload_parts(
        self, info: Info, input: PresignUploadPartsInput
    ) -> list[PresignedRequest]:
        request = _request(
            wire.PresignParts,
            digest=input.digest,
            size=input.size,
            upload_id=input.upload_id,
            part_size=input.part_size,
            parts=[{"number": p.number, "crc32": p.crc32} for p in input.parts],
        )
        urls = await _call(blob_store(info).presign_parts, request, inputs=True)
        return [PresignedRequest.of(u) for u in urls]

    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Verify the uploaded object (size, SHA-256); a mismatch removes it. Then "
        "PENDING artifacts naming the blob become AVAILABLE.",
    )
    async def commit_upload(self, info: Info, input: CommitUploadInput) -> CommitUploadResult:
        request = _request(
            wire.CommitUpload,
            digest=input.digest,
            size=input.size,
            upload_id=input.upload_id,
            parts=[{"number": p.number, "etag": p.etag} for p in input.parts],
            media_type=input.media_type,
        )
        store = blob_store(info)
        blob = await _call(store.commit_upload, request, inputs=True)
        promoted = await _promote(info, store, [blob.digest])
        return CommitUploadResult(blob=Blob.of(blob), promoted=promoted)

    @strawberry.mutation(
        permission_classes=_WRITE,
        description="Drop an unfinished multipart upload; false when it was gone already.",
    )
    async def abort_upload(self, info: Info, input: AbortUploadInput) -> bool:
        digest = _digest(input.digest, "input.digest")
        if not input.upload_id.strip():
            raise BadInput("input.uploadId is empty", field="input.uploadId")
        return await _call(blob_store(info).abort_upload, digest, input.upload_id)


async def _promote(info: Info, store: BlobStore, digests: Sequence[str]) -> list[str]:
    graph = info.context.store
    return await in_thread(
        promote_pending, graph.driver, graph.database, graph.catalog, store.bucket, digests
    )


# --- registrations: PENDING until the blob is proven ---------------------------------------------
def _blob_to_follow(bucket: str, event: ArtifactRegistered) -> ArtifactRegistered:
    """A registration that says its bytes will follow (PENDING, a digest, no uri, not a
    reference: the SDK registering a file while the service or S3 was unreachable, its upload
    queued) gets this bucket's blob address for that digest, so the upload's commit promotes it
    like any stored artifact. The client could not name the address itself: it may never have
    reached the service."""
    spec = event.artifact
    if (
        spec.status is not ArtifactStatus.PENDING
        or spec.uri is not None
        or spec.digest is None
        or spec.is_reference
    ):
        return event
    located = spec.model_copy(
        update={"uri": f"s3://{bucket}/{blob_key(spec.digest)}", "storage": f"s3://{bucket}"}
    )
    return event.model_copy(update={"artifact": located})


def _stored_blob(bucket: str, event: IngestEvent) -> tuple[str | None, bool]:
    """(digest, address right) of the blob a registration says it stored here; (None, False)
    when it names no blob of this bucket (a reference, or bytes elsewhere)."""
    if not isinstance(event, ArtifactRegistered):
        return None, False
    spec = event.artifact
    if spec.is_reference or not spec.uri or not spec.uri.startswith(f"s3://{bucket}/"):
        return None, False
    if spec.digest is None:
        return None, True
    return spec.digest, spec.uri == f"s3://{bucket}/{blob_key(spec.digest)}"


async def gate_events(
    info: Info, events: Sequence[IngestEvent]
) -> tuple[list[IngestEvent], list[str]]:
    """Events with every stored artifact whose blob is not proven yet made PENDING, and the
    digests so downgraded (to settle after the write)."""
    bucket = info.context.settings.s3_bucket
    store: BlobStore | None = None  # opened only when a registration names a blob of ours
    out: list[IngestEvent] = []
    pending: list[str] = []
    proven: dict[str, bool] = {}
    for event in events:
        if not isinstance(event, ArtifactRegistered):
            out.append(event)
            continue
        event = _blob_to_follow(bucket, event)
        digest, addressed = _stored_blob(bucket, event)
        if digest is None and not addressed:
            out.append(event)
            continue
        if event.artifact.status is ArtifactStatus.AVAILABLE:
            # a blob address of another digest (or none) can never be proven: PENDING for good
            ok = False
            if digest is not None and addressed:
                if digest not in proven:
                    store = store or blob_store(info)
                    proven[digest] = await _call(store.claim_for_registration, digest)
                ok = proven[digest]
            if not ok:
                spec = event.artifact.model_copy(update={"status": ArtifactStatus.PENDING})
                event = event.model_copy(update={"artifact": spec})
        if digest is not None and addressed and event.artifact.status is ArtifactStatus.PENDING:
            pending.append(digest)
        out.append(event)
    return out, pending


async def settle_pending(info: Info, digests: Sequence[str]) -> None:
    """After the write: promote what was recorded PENDING if its blob is proven by now."""
    if not digests:
        return
    store = blob_store(info)
    ready = [d for d in sorted(set(digests)) if await _call(store.is_proven, d)]
    if ready:
        await _promote(info, store, ready)
