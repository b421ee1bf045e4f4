"""The BlobService over GraphQL: each method is one query or mutation of the service (api/blobs.py).

Transfers use it exactly like the server's BlobStore in-process; the bytes still go straight to
S3 through the presigned URLs the answers carry. Answers become the blob_protocol models, and
errors the typed LineageError the service named (UNAVAILABLE is retried by the transfer code).
Commit can take a while (the service reads a multipart object back to hash it), hence the long
read timeout.
"""

from __future__ import annotations

from typing import Any

import httpx

from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobInfo,
    CommitUpload,
    DownloadTicket,
    PresignedRequest,
    PresignParts,
    StoredPart,
    UploadLimits,
    UploadPlan,
)
from lineagegraph.errors import LineageError, Unavailable, error_from_code
from lineagegraph.sdk.transport import graphql_endpoint

_REQUEST = "method url headers { name value } expiresAt"
_BLOB = "digest size uri storage mediaType verifiedBy deduplicated"
_TICKET = "url digest size headers { name value } expiresAt"

LIMITS = (
    "query { uploadLimits { maxArtifactSize multipartThreshold multipartPartSize "
    "presignExpirySeconds } }"
)
BEGIN = (
    "mutation Begin($input: BeginUploadInput!) { beginUpload(input: $input) { digest size uri "
    f"state blob {{ {_BLOB} }} single {{ {_REQUEST} }} uploadId partSize partCount "
    "storedParts { number size crc32 etag } } }"
)
PRESIGN = (
    "mutation Parts($input: PresignUploadPartsInput!) { presignUploadParts(input: $input) "
    f"{{ {_REQUEST} }} }}"
)
COMMIT = (
    "mutation Commit($input: CommitUploadInput!) { commitUpload(input: $input) "
    f"{{ blob {{ {_BLOB} }} promoted }} }}"
)
ABORT = "mutation Abort($input: AbortUploadInput!) { abortUpload(input: $input) }"
DOWNLOAD = (
    "query Download($ref: String, $digest: String) { downloadUrl(ref: $ref, digest: $digest) "
    f"{{ {_TICKET} }} }}"
)
STAT = f"query Stat($digest: String!) {{ blob(digest: $digest) {{ {_BLOB} }} }}"


def _headers(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {h["name"]: h["value"] for h in items or []}


def _request(data: dict[str, Any]) -> PresignedRequest:
    return PresignedRequest(
        method=data["method"],
        url=data["url"],
        headers=_headers(data.get("headers")),
        expires_at=data["expiresAt"],
    )


def _blob(data: dict[str, Any]) -> BlobInfo:
    return BlobInfo(
        digest=data["digest"],
        size=int(data["size"]),
        uri=data["uri"],
        storage=data["storage"],
        media_type=data.get("mediaType"),
        verified_by={"S3_CHECKSUM": "s3-checksum", "READ": "read", "TAG": "tag"}[
            data["verifiedBy"]
        ],
        deduplicated=bool(data.get("deduplicated")),
    )


def _ticket(data: dict[str, Any]) -> DownloadTicket:
    return DownloadTicket(
        url=data["url"],
        digest=data.get("digest"),
        size=None if data.get("size") is None else int(data["size"]),
        headers=_headers(data.get("headers")),
        expires_at=data.get("expiresAt"),
    )


class GraphQLBlobService:
    """``BlobService`` against a running service: ``url`` is its base (or /graphql) address."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 600.0,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = graphql_endpoint(url)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=15.0),
            transport=http_transport,
            follow_redirects=False,
        )
        self._limits: UploadLimits | None = None

    def __repr__(self) -> str:
        return f"GraphQLBlobService({self.endpoint})"

    def _run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._http.post(
                self.endpoint, json={"query": query, "variables": variables or {}}
            )
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"the service at {self.endpoint} did not answer: {type(exc).__name__}"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            raise Unavailable(
                f"the service at {self.endpoint} answered HTTP {response.status_code}, not JSON"
            ) from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            first = errors[0]
            ext = first.get("extensions") or {}
            details = {"field": ext["field"]} if ext.get("field") else {}
            code = ext.get("code") or ("UNAVAILABLE" if response.status_code >= 500 else None)
            raise error_from_code(code, str(first.get("message", "")), **details)
        if response.status_code >= 500:
            raise Unavailable(f"the service answered HTTP {response.status_code}")
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise LineageError(f"the service answered HTTP {response.status_code} without data")
        return data

    # --- BlobService -------------------------------------------------------------------------
    def upload_limits(self) -> UploadLimits:
        if self._limits is None:
            d = self._run(LIMITS)["uploadLimits"]
            self._limits = UploadLimits(
                max_artifact_size=int(d["maxArtifactSize"]),
                multipart_threshold=int(d["multipartThreshold"]),
                multipart_part_size=int(d["multipartPartSize"]),
                presign_expiry_seconds=int(d["presignExpirySeconds"]),
            )
        return self._limits

    def begin_upload(self, request: BeginUpload) -> UploadPlan:
        variables = {
            "input": {
                "digest": request.digest,
                "size": request.size,
                "mediaType": request.media_type,
            }
        }
        d = self._run(BEGIN, variables)["beginUpload"]
        return UploadPlan(
            digest=d["digest"],
            size=int(d["size"]),
            uri=d["uri"],
            state=d["state"].lower(),
            blob=_blob(d["blob"]) if d.get("blob") else None,
            single=_request(d["single"]) if d.get("single") else None,
            upload_id=d.get("uploadId"),
            part_size=None if d.get("partSize") is None else int(d["partSize"]),
            part_count=int(d.get("partCount") or 0),
            stored_parts=[
                StoredPart(
                    number=int(p["number"]), size=int(p["size"]), crc32=p["crc32"], etag=p["etag"]
                )
                for p in d.get("storedParts") or []
            ],
        )

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]:
        variables = {
            "input": {
                "digest": request.digest,
                "size": request.size,
                "uploadId": request.upload_id,
                "partSize": request.part_size,
                "parts": [{"number": p.number, "crc32": p.crc32} for p in request.parts],
            }
        }
        return [_request(r) for r in self._run(PRESIGN, variables)["presignUploadParts"]]

    def commit_upload(self, request: CommitUpload) -> BlobInfo:
        variables = {
            "input": {
                "digest": request.digest,
                "size": request.size,
                "uploadId": request.upload_id,
                "parts": [{"number": p.number, "etag": p.etag} for p in request.parts],
                "mediaType": request.media_type,
            }
        }
        return _blob(self._run(COMMIT, variables)["commitUpload"]["blob"])

    def download_ticket(self, digest: str) -> DownloadTicket:
        return _ticket(self._run(DOWNLOAD, {"digest": digest})["downloadUrl"])

    # --- beyond the protocol -----------------------------------------------------------------
    def artifact_ticket(self, ref: str) -> DownloadTicket:
        """Where an artifact's bytes are (NOT_FOUND while it is PENDING)."""
        return _ticket(self._run(DOWNLOAD, {"ref": ref})["downloadUrl"])

    def abort_upload(self, digest: str, upload_id: str) -> bool:
        variables = {"input": {"digest": digest, "uploadId": upload_id}}
        return bool(self._run(ABORT, variables)["abortUpload"])

    def stat(self, digest: str) -> BlobInfo | None:
        found = self._run(STAT, {"digest": digest})["blob"]
        return _blob(found) if found else None

    def close(self) -> None:
        self._http.close()
