"""Where things live in the bucket: content-addressed blobs, upload claims, GC tombstones."""

from __future__ import annotations

import secrets
import time

from lineagegraph.blob_protocol import digest_hex, normalize_digest
from lineagegraph.errors import BadInput

BLOB_PREFIX = "blobs/sha256/"
CLAIM_PREFIX = "claims/sha256/"
TOMBSTONE_PREFIX = "tombstones/sha256/"


def _fanout(digest: str) -> str:
    hexdigest = digest_hex(digest)
    return f"{hexdigest[:2]}/{hexdigest}"


def blob_key(digest: str) -> str:
    """``blobs/sha256/<2 hex>/<64 hex>``: the object holding the bytes with this digest."""
    return BLOB_PREFIX + _fanout(digest)


def claim_prefix(digest: str) -> str:
    return f"{CLAIM_PREFIX}{_fanout(digest)}/"


def new_claim_key(digest: str) -> str:
    """A fresh, unique claim: never overwritten, so GC deleting an old one cannot hit a new one."""
    return f"{claim_prefix(digest)}{time.time_ns():020d}-{secrets.token_hex(4)}"


def tombstone_prefix(digest: str) -> str:
    return f"{TOMBSTONE_PREFIX}{_fanout(digest)}/"


def tombstone_key(digest: str, run_id: str) -> str:
    return tombstone_prefix(digest) + run_id


def digest_of_key(key: str, prefix: str = BLOB_PREFIX) -> str | None:
    """The digest a blob/claim/tombstone key is about, or None for a foreign key."""
    if not key.startswith(prefix):
        return None
    parts = key[len(prefix) :].split("/")
    if len(parts) < 2 or parts[0] != parts[1][:2]:
        return None
    try:
        return normalize_digest(parts[1])
    except BadInput:
        return None
