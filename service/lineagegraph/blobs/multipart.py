"""The S3 multipart calls the minio SDK keeps protected, with the checksum fields we need.

minio has no public API for CreateMultipartUpload with a checksum algorithm, ListParts with the
per-part ``ChecksumSHA256``, or a conditional CompleteMultipartUpload; these go through its
signed ``_execute`` so credentials, retries and errors stay the SDK's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from minio import Minio
from minio.error import S3Error

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _xml(data: bytes) -> ET.Element:
    # Answers of the S3 server this service is configured with, not user input.
    return ET.fromstring(data)  # noqa: S314


@dataclass(frozen=True)
class ListedPart:
    number: int
    etag: str
    size: int
    crc32: str | None  # base64, as S3 checked it on upload


@dataclass(frozen=True)
class PendingUpload:
    key: str
    upload_id: str
    initiated: datetime


def _text(element: ET.Element, name: str) -> str | None:
    found = element.find(_NS + name)
    if found is None:
        found = element.find(name)
    return None if found is None else (found.text or "")


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return element.findall(_NS + name) or element.findall(name)


def _parse_time(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _execute(client: Minio, *args: Any, **kwargs: Any) -> Any:
    return client._execute(*args, **kwargs)


def create(client: Minio, bucket: str, key: str, content_type: str | None = None) -> str:
    """A new multipart upload whose parts S3 checks against their CRC32 on arrival.

    CRC32, not SHA-256: S3 keeps only a COMPOSITE checksum for multipart objects either way, so
    the whole object's SHA-256 is proven by reading it back at commit; per part, a CRC catches
    damage in transit at a quarter of SHA-256's CPU cost on both ends."""
    headers = {
        "Content-Type": content_type or "application/octet-stream",
        "x-amz-checksum-algorithm": "CRC32",
    }
    response = _execute(client, "POST", bucket, key, headers=headers, query_params={"uploads": ""})
    upload_id = _text(_xml(response.data), "UploadId")
    if not upload_id:
        raise RuntimeError("CreateMultipartUpload answered without an UploadId")
    return upload_id


def list_parts(client: Minio, bucket: str, key: str, upload_id: str) -> list[ListedPart]:
    parts: list[ListedPart] = []
    marker = "0"
    while True:
        response = _execute(
            client,
            "GET",
            bucket,
            key,
            query_params={"uploadId": upload_id, "max-parts": "1000", "part-number-marker": marker},
        )
        root = _xml(response.data)
        for part in _children(root, "Part"):
            parts.append(
                ListedPart(
                    number=int(_text(part, "PartNumber") or 0),
                    etag=(_text(part, "ETag") or "").strip('"'),
                    size=int(_text(part, "Size") or 0),
                    crc32=_text(part, "ChecksumCRC32") or None,
                )
            )
        if (_text(root, "IsTruncated") or "false").lower() != "true":
            return sorted(parts, key=lambda p: p.number)
        marker = _text(root, "NextPartNumberMarker") or str(parts[-1].number)


def list_uploads(client: Minio, bucket: str, prefix: str) -> Iterator[PendingUpload]:
    key_marker = upload_marker = ""
    while True:
        query = {"uploads": "", "prefix": prefix, "max-uploads": "1000"}
        if key_marker:
            query["key-marker"] = key_marker
        if upload_marker:
            query["upload-id-marker"] = upload_marker
        root = _xml(_execute(client, "GET", bucket, query_params=query).data)
        for upload in _children(root, "Upload"):
            yield PendingUpload(
                key=_text(upload, "Key") or "",
                upload_id=_text(upload, "UploadId") or "",
                initiated=_parse_time(_text(upload, "Initiated")),
            )
        if (_text(root, "IsTruncated") or "false").lower() != "true":
            return
        key_marker = _text(root, "NextKeyMarker") or ""
        upload_marker = _text(root, "NextUploadIdMarker") or ""
        if not key_marker and not upload_marker:
            return


def complete(
    client: Minio, bucket: str, key: str, upload_id: str, parts: Sequence[ListedPart]
) -> None:
    """Complete only if no object exists under ``key`` (If-None-Match: *): a verified blob is
    never overwritten by bytes not yet verified. Raises S3Error PreconditionFailed if one does."""
    root = ET.Element("CompleteMultipartUpload")
    for part in parts:
        tag = ET.SubElement(root, "Part")
        ET.SubElement(tag, "PartNumber").text = str(part.number)
        ET.SubElement(tag, "ETag").text = f'"{part.etag}"'
        if part.crc32:
            ET.SubElement(tag, "ChecksumCRC32").text = part.crc32
    _execute(
        client,
        "POST",
        bucket,
        key,
        body=ET.tostring(root),
        headers={"Content-Type": "application/xml", "If-None-Match": "*"},
        query_params={"uploadId": upload_id},
    )


def abort(client: Minio, bucket: str, key: str, upload_id: str) -> bool:
    """Abort; False when the upload was gone already."""
    try:
        _execute(client, "DELETE", bucket, key, query_params={"uploadId": upload_id})
    except S3Error as exc:
        if exc.code == "NoSuchUpload":
            return False
        raise
    return True
