"""Artifact handles (what ``register_*`` and ``log_*`` return) and how a file's bytes are stored.

``store_file`` is the one place that turns a local path into what the artifact record says about
its bytes. Until the blob transfer lands it hashes the file (SHA-256 and size in one pass) and
records it as a reference to the local file; then it uploads through ``sdk/_transfer.py``.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineagegraph.errors import BadInput, Unavailable
from lineagegraph.refs import PREFIX_OF, NodeKind, parse_ref
from lineagegraph.sdk._hashing import input_file_size, sha256_file

if TYPE_CHECKING:
    from lineagegraph.blob_protocol import BlobInfo


@dataclass(frozen=True, slots=True)
class StoredFile:
    digest: str
    size_bytes: int
    uri: str | None  # None: bytes to follow (the service gives them its blob address)
    media_type: str | None
    storage: str | None
    is_reference: bool


#: Uploads a file and returns what the blob store recorded (wired to sdk/_transfer.py).
Uploader = Callable[[Path, str | None, str | None], "BlobInfo"]


def check_file(path: str | Path) -> Path:
    """A readable regular file, or a BadInput saying what is wrong (missing, a directory...)."""
    target = Path(path).expanduser()
    input_file_size(target)
    return target.resolve()


def store_file(
    path: Path, declared_digest: str | None = None, upload: Uploader | None = None
) -> StoredFile:
    """The one place a local file becomes artifact bytes: uploaded through the blob store when
    the client has one, else hashed (SHA-256 and size in one pass) and kept as a reference to
    the local file."""
    media_type, _ = mimetypes.guess_type(path.name)
    if upload is not None:
        blob = upload(path, media_type, declared_digest)
        return StoredFile(
            blob.digest, blob.size, blob.uri, blob.media_type or media_type, blob.storage, False
        )
    digest, size = sha256_file(path)
    check_declared(path, digest, declared_digest)
    return StoredFile(digest, size, path.as_uri(), media_type, None, True)


def check_declared(path: Path, digest: str, declared: str | None) -> None:
    """BadInput when the caller declared another digest than the file's bytes hash to."""
    if declared is not None and declared != digest:
        raise BadInput(f"digest: {path} has {digest}, not the declared {declared}", field="digest")


class Artifact:
    """A registered artifact. ``ref`` is known at once unless the service numbers the version
    (a model logged without ``version``): then reading ``ref`` waits for the service's answer."""

    def __init__(
        self,
        kind: NodeKind,
        name: str,
        version: str | None,
        *,
        event_id: str,
        digest: str | None = None,
        uri: str | None = None,
        size_bytes: int | None = None,
        wait: Callable[[Artifact, float], None] | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.digest = digest
        self.uri = uri
        self.size_bytes = size_bytes
        self.event_id = event_id
        self._version = version
        self._known = threading.Event()
        self._wait = wait
        self._failure: str | None = None
        if version is not None:
            self._known.set()

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def pending(self) -> bool:
        """True while the service has not yet assigned the version."""
        return not self._known.is_set()

    def resolve(self, ref: str | None, failure: str | None = None) -> None:
        """Called by the client once the service answered the registration."""
        if ref is not None:
            self._version = parse_ref(ref).version
        self._failure = failure
        self._known.set()

    def wait(self, timeout: float = 30.0) -> str:
        if self.pending and self._wait is not None:
            self._wait(self, timeout)
        if self._failure is not None:
            raise BadInput(f"{self.placeholder()} was rejected by the service: {self._failure}")
        if self._version is None:
            raise Unavailable(
                f"the service has not yet numbered {self.placeholder()} (is it reachable?); "
                "the registration is spooled and will be sent"
            )
        return self.ref_if_known() or ""

    @property
    def ref(self) -> str:
        return self.ref_if_known() or self.wait()

    def ref_if_known(self) -> str | None:
        if self._version is None:
            return None
        return f"{PREFIX_OF[self.kind]}:{self.name}@{self._version}"

    def placeholder(self) -> str:
        """A syntactically valid ref standing in for the real one until it is known."""
        return f"{PREFIX_OF[self.kind]}:{self.name}@pending"

    def __repr__(self) -> str:
        return f"Artifact({self.ref_if_known() or self.placeholder()!r})"


def ref_of(value: Any, field: str) -> tuple[str, Artifact | None]:
    """A ref string from an Artifact, a Run-like object with ``ref``, or a string."""
    if isinstance(value, Artifact):
        known = value.ref_if_known()
        return (known, None) if known else (value.placeholder(), value)
    if isinstance(value, str):
        parse_ref(value, field=field)
        return value, None
    ref = getattr(value, "ref", None)
    if isinstance(ref, str):
        return ref, None
    raise BadInput(
        f"{field} must be an artifact returned by the SDK or a ref string, "
        f"not {type(value).__name__}",
        field=field,
    )
