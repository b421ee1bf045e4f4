"""``lg.Client``: registration, runs, flush and reads; the pipeline spool -> sender -> service.

A log call validates, writes one framed record to this process's spool segment, queues it and
returns (microseconds). Network trouble never raises into training code: events wait in the
spool and the sender retries. Events the service refuses are final: they are logged, kept in
``client.errors`` and raised as ``LineageWarning`` in your thread at the next SDK call.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import mimetypes
import os
import secrets
import sys
import threading
import time
import uuid
import warnings
import weakref
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr

from lineagegraph.blob_protocol import normalize_digest
from lineagegraph.config import Settings, load_settings, secret
from lineagegraph.errors import BadInput, LineageError, Unavailable
from lineagegraph.models import (
    ArtifactRegistered,
    ArtifactSpec,
    ArtifactStatus,
    CodeVersion,
    Environment,
    Hardware,
    Provenance,
    RunStarted,
    RunStatus,
)
from lineagegraph.refs import NodeKind, parse_ref
from lineagegraph.sdk import lifecycle, provenance
from lineagegraph.sdk._client_blobs import ClientBlobs
from lineagegraph.sdk._digest_cache import DigestCache
from lineagegraph.sdk._download import DownloadResult
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService
from lineagegraph.sdk._kept import KeptUploads, keep_upload, pending_kept
from lineagegraph.sdk._native import metrics_writer
from lineagegraph.sdk._sendproc import ProcessSender
from lineagegraph.sdk._sendproc import supported as sendproc_supported
from lineagegraph.sdk._service import BlobService
from lineagegraph.sdk.artifacts import (
    Artifact,
    StoredFile,
    check_declared,
    check_file,
    ref_of,
    store_file,
)
from lineagegraph.sdk.encode import Dep, build, event_payload
from lineagegraph.sdk.jsonable import to_json_object
from lineagegraph.sdk.reads import Impact, Querier, RunHandle, fetch_impact
from lineagegraph.sdk.reproduce import reproduction_tags
from lineagegraph.sdk.run import LineageWarning, Run, normalize_tags
from lineagegraph.sdk.seeding import last_seeds, seed_everything
from lineagegraph.sdk.sender import Backoff, EventError, Sender
from lineagegraph.sdk.spool import AckState, ActiveSegment, Spool, frame
from lineagegraph.sdk.transport import HttpTransport, Transport

log = logging.getLogger("lineagegraph.sdk")
_active_runs: contextvars.ContextVar[tuple[Run, ...]] = contextvars.ContextVar(
    "lineagegraph_runs", default=()
)
_Capture = bool | Mapping[str, Any] | BaseModel


def _capture(value: _Capture, model: type[BaseModel], default: Any) -> Any:
    """True: capture; False: leave out; a dict or model: use it as given."""
    if value is True:
        return default()
    if value is False:
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        return build(model, **dict(value))
    raise BadInput(f"expected True, False, a dict or {model.__name__}", field=model.__name__)


class Client:
    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        settings: Settings | None = None,
        transport: Transport | httpx.BaseTransport | None = None,
        spool_dir: str | Path | None = None,
        flush_at_exit: float = 10.0,
        handle_sigterm: bool = True,
        replay: bool = True,
        retry_initial: float = 0.2,
        retry_max: float = 30.0,
        blobs: BlobService | bool | None = None,
        sender_process: bool | None = None,
    ) -> None:
        """``url``/``token`` default to the settings (LINEAGE_URL / LINEAGE_TOKEN). Unsent events
        of earlier processes found in the spool are replayed unless ``replay=False``; failed
        requests are retried after ``retry_initial`` seconds, doubling up to ``retry_max``.
        ``blobs``: where ``path=`` files are uploaded (default: the service's blob protocol when
        the client talks HTTP itself; False keeps them as local ``file://`` references).
        ``sender_process``: send from a separate process that tails the spool (default when
        the client talks HTTP itself, on Linux), or from a thread of this process (False; always
        so with an injected ``transport``)."""
        updates: dict[str, Any] = {}
        if url is not None:
            updates["url"] = url
        if token is not None:
            updates["token"] = SecretStr(token)
        if spool_dir is not None:
            updates["spool_dir"] = Path(spool_dir)
        base = settings if settings is not None else load_settings()
        self.settings = base.model_copy(update=updates) if updates else base
        if transport is None or isinstance(transport, httpx.BaseTransport):
            self._transport: Transport = HttpTransport(
                self.settings.url, secret(self.settings.token), http_transport=transport
            )
        else:
            self._transport = transport
        self.flush_at_exit = flush_at_exit
        own_http = transport is None
        if sender_process and not own_http:
            raise BadInput(
                "sender_process needs the client's own HTTP transport", field="transport"
            )
        self._sender_process = (own_http if sender_process is None else sender_process) and (
            sendproc_supported()
        )
        self._backoff = (retry_initial, retry_max)
        #: the C log_metrics for new runs (None: the pure-Python path, run.py)
        self._metrics_writer: Any = metrics_writer if self.settings.native_metrics else None
        self._errors: list[EventError] = []
        self._unreported: deque[str] = deque()
        self._waiting: weakref.WeakValueDictionary[str, Artifact] = weakref.WeakValueDictionary()
        self._runs: set[Run] = set()
        self._runs_lock = threading.RLock()  # re-entered by the SIGTERM handler
        self._dropped = 0
        self._closed = False
        self._code_cache: provenance.CodeCapture | None = None
        self._blobs: ClientBlobs | None = None
        # the client's own settings choose the digest cache, not only the environment's
        digest_cache = DigestCache.from_settings(self.settings) or False
        if (blobs is None and transport is None) or blobs is True:
            service = GraphQLBlobService(self.settings.url, secret(self.settings.token))
            self._blobs = ClientBlobs(service, digest_cache=digest_cache)
        elif blobs is not None and not isinstance(blobs, bool):
            self._blobs = ClientBlobs(blobs, digest_cache=digest_cache)
        self._kept: KeptUploads | None = None
        self._start_pipeline(claim=replay)
        if replay and self._blobs is not None and pending_kept(Path(self.settings.spool_dir)):
            self._send_kept()  # diffs and artifact bytes an earlier process could not upload
        lifecycle.register(self, handle_sigterm=handle_sigterm)

    # --- pipeline ---------------------------------------------------------------------------
    def _start_pipeline(self, *, claim: bool) -> None:
        self._pid = os.getpid()
        self._ids = itertools.count()
        self._id_prefix = secrets.token_hex(10) + "-"
        for run in self._runs:  # their cached record heads hold the old prefix
            run._shapes = {}
        self._spool = Spool(Path(self.settings.spool_dir), self.settings.spool_max_bytes)
        rotate_bytes = min(64 * 1024**2, max(self.settings.spool_max_bytes // 4, 4096))
        active = self._spool.new_segment()
        if self._sender_process:
            self._sender: Sender | ProcessSender | None = ProcessSender(
                self._spool,
                active=active,
                config={
                    "url": self.settings.url,
                    "token": secret(self.settings.token),
                    "spool_dir": str(self._spool.directory),
                    "spool_max_bytes": self._spool.max_bytes,
                    "max_batch": self.settings.max_batch_size,
                    "max_request_bytes": self.settings.max_request_bytes,
                    "flush_interval": self.settings.flush_interval_seconds,
                    "backoff": list(self._backoff),
                    "claim": claim,
                    "linger": 30.0,
                },
                max_batch=self.settings.max_batch_size,
                rotate_bytes=rotate_bytes,
                on_error=self._on_error,
                on_assigned=self._on_assigned,
                on_warning=self._unreported.append,
                on_exit=self._sender_process_ended,
            )
        else:
            self._sender = self._thread_sender(active, rotate_bytes, claim=claim)
        self._sender.start()

    def _thread_sender(self, active: ActiveSegment, rotate_bytes: int, *, claim: bool) -> Sender:
        return Sender(
            self._transport,
            self._spool,
            active=active,
            max_batch=self.settings.max_batch_size,
            max_request_bytes=self.settings.max_request_bytes,
            flush_interval=self.settings.flush_interval_seconds,
            on_error=self._on_error,
            on_assigned=self._on_assigned,
            on_warning=self._unreported.append,  # a LineageWarning at the next call
            rotate_bytes=rotate_bytes,
            claim=claim,
            backoff=Backoff(*self._backoff),
        )

    def _sender_process_ended(self, ended: ProcessSender) -> None:
        """The sender process died (killed, crashed): go on with a sender thread on the same
        segment, from what the process had acknowledged (its ack file)."""
        if self._closed or self._sender is not ended:
            return
        with ended.append_lock:
            active = ended.active
            if active is None:
                return
            active.ack = AckState.load(active.ack_path)
            active.read_to = active.ack.offset
            active.acked(active.ack.offset)
            thread = self._thread_sender(active, ended.rotate_bytes, claim=False)
            thread.append_lock = ended.append_lock  # writers may hold the old reference
            thread.others_bytes = ended.others_bytes
            self._sender = thread
        thread.start()

    def _after_fork_in_child(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:  # the parent's files and thread are not ours
            sender.detach()

    def _pipeline(self) -> Sender | ProcessSender:
        sender = self._sender
        if sender is None:
            if self._closed:
                raise LineageError("this client is closed")
            self._start_pipeline(claim=False)  # a forked child: its own segment and thread
            sender = self._sender
            assert sender is not None
        return sender

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):x}"

    def _append(self, event_id: str, payload: bytes, *, droppable: bool) -> None:
        sender = self._pipeline()
        framed = frame(payload)
        if droppable and sender.spool_full(len(framed)):
            self._drop("the spool is full")
            return
        try:
            sender.enqueue(framed)
        except OSError as exc:  # disk full or gone: report, never crash training
            self._drop(f"the spool could not be written ({exc})")
        if lifecycle.deferred_sigterm is not None:
            lifecycle.run_deferred()

    def _drop(self, why: str) -> None:
        self._dropped += 1
        if self._dropped == 1 or self._dropped % 10_000 == 0:
            message = (
                f"lineagegraph: {why}; {self._dropped} metric events dropped so far "
                f"(spool {self._spool.directory}, cap {self._spool.max_bytes} bytes)"
            )
            log.warning(message)
            self._unreported.append(message)

    def _emit(self, event: BaseModel, *, assigns: bool = False, deps: Sequence[Dep] = ()) -> None:
        if self._unreported:
            self._report()
        payload = event_payload(event, assigns=assigns, deps=deps)
        limit = int(self.settings.max_request_bytes * 0.9)
        if len(payload) > limit:
            raise BadInput(
                f"{type(event).__name__} is {len(payload)} bytes as JSON, over the {limit} bytes "
                "one request may carry; store large content as an artifact"
            )
        self._append(str(getattr(event, "event_id")), payload, droppable=False)  # noqa: B009

    @staticmethod
    def _deps(pending: Artifact | None, path: Sequence[str | int]) -> list[Dep]:
        return [(path, pending.event_id)] if pending is not None else []

    # --- answers from the sender thread -----------------------------------------------------
    def _on_error(self, error: EventError) -> None:
        self._errors.append(error)
        self._unreported.append(f"lineagegraph: the service rejected {error}")
        handle = self._waiting.pop(error.event_id, None)
        if handle is not None:
            handle.resolve(None, failure=f"{error.code}: {error.message}")

    def _on_assigned(self, event_id: str, ref: str) -> None:
        handle = self._waiting.pop(event_id, None)
        if handle is not None:
            handle.resolve(ref)

    def _report(self) -> None:
        while self._unreported:
            warnings.warn(self._unreported.popleft(), LineageWarning, stacklevel=4)

    @property
    def errors(self) -> list[EventError]:
        """Events the service refused (final; they are not resent)."""
        return list(self._errors)

    def stats(self) -> dict[str, Any]:
        sender = self._sender
        return {
            "pending": sender.pending() if sender else 0,
            "sent": sender.sent if sender else 0,
            "rejected": len(self._errors),
            "dropped": self._dropped,
            "spool_dir": str(self._spool.directory),
            "last_error": sender.last_error if sender else None,
        }

    # --- registration -----------------------------------------------------------------------
    def register_dataset_snapshot(
        self,
        name: str,
        version: str,
        *,
        path: str | Path | None = None,
        uri: str | None = None,
        digest: str | None = None,
        **extra: Any,
    ) -> Artifact:
        """A dataset snapshot: a file to store (``path``) or a reference (``uri`` + ``digest``).
        Extra keywords: row_count, schema, size_bytes, media_type, tags, properties."""
        return self._register(
            NodeKind.DATASET_SNAPSHOT, name, version, path=path, uri=uri, digest=digest, **extra
        )

    def register_feature_definition(
        self,
        name: str,
        version: str,
        *,
        sources: Iterable[Artifact | str] = (),
        code: str | None = None,
        expression: str | None = None,
        **extra: Any,
    ) -> Artifact:
        """A feature definition derived from snapshots or features; ``code`` is stored by its
        digest (and as text in ``properties["code"]`` up to 64 KiB)."""
        if code is not None:
            import hashlib

            extra["code_digest"] = "sha256:" + hashlib.sha256(code.encode()).hexdigest()
            if len(code) <= 64 * 1024:
                extra["properties"] = {**dict(extra.get("properties") or {}), "code": code}
        return self._register(
            NodeKind.FEATURE_DEFINITION,
            name,
            version,
            sources=sources,
            expression=expression,
            **extra,
        )

    def _register(
        self,
        kind: NodeKind,
        name: str,
        version: str | None,
        *,
        path: str | Path | None = None,
        uri: str | None = None,
        digest: str | None = None,
        produced_by: uuid.UUID | None = None,
        sources: Iterable[Artifact | str] = (),
        deps: Sequence[Dep] = (),
        **fields: Any,
    ) -> Artifact:
        if path is not None and uri is not None:
            raise BadInput("give either path= (a file to store) or uri= (a reference)", field="uri")
        if digest is not None:
            digest = normalize_digest(digest)
        all_deps = list(deps)
        source_refs = []
        for i, source in enumerate(sources):
            ref, pending = ref_of(source, "sources")
            source_refs.append(ref)
            all_deps += self._deps(pending, ["artifact", "sources", i])
        if "tags" in fields:
            fields["tags"] = normalize_tags(fields["tags"])
        if path is not None:
            stored, to_follow = self._store(check_file(path), digest)
            fields.update(
                digest=stored.digest,
                size_bytes=stored.size_bytes,
                uri=stored.uri,
                storage=stored.storage,
                is_reference=stored.is_reference,
            )
            if to_follow:
                fields["status"] = ArtifactStatus.PENDING
            fields.setdefault("media_type", stored.media_type)
        elif uri is not None:
            fields.update(uri=uri, digest=digest, is_reference=True)
        elif digest is not None:
            fields["digest"] = digest
        spec = build(
            ArtifactSpec, kind=kind, name=name, version=version, sources=source_refs, **fields
        )
        assert isinstance(spec, ArtifactSpec)
        event = build(ArtifactRegistered, artifact=spec, produced_by=produced_by)
        assert isinstance(event, ArtifactRegistered)
        handle = Artifact(
            kind,
            spec.name,
            spec.version,
            event_id=event.event_id,
            digest=spec.digest,
            uri=spec.uri,
            size_bytes=spec.size_bytes,
            wait=self._wait_for,
        )
        if version is None:
            self._waiting[event.event_id] = handle
        self._emit(event, assigns=version is None, deps=all_deps)
        return handle

    def _store(self, path: Path, declared: str | None) -> tuple[StoredFile, bool]:
        """The file's bytes for a registration, and whether they are still to follow. When the
        service or S3 cannot be reached (after the upload's own retries) training goes on: the
        bytes are kept in the spool (a hard link, or a copy), the registration is spooled
        PENDING with their digest, and they go up in the background (or by the next client, or
        ``lineage sync``); the upload's commit then makes the artifact AVAILABLE."""
        if self._blobs is None:
            return store_file(path, declared, None), False
        try:
            return store_file(path, declared, self._blobs.upload), False
        except Unavailable as exc:
            spool_dir = Path(self.settings.spool_dir)
            digest, size, kept = keep_upload(spool_dir, path)
            try:
                check_declared(path, digest, declared)
            except BadInput:
                kept.unlink(missing_ok=True)
                raise
            log.warning(
                "lineagegraph: could not upload %s now (%s); registered PENDING, its bytes wait "
                "in %s and go up in the background (or with `lineage sync`)",
                path,
                exc,
                kept,
            )
            self._send_kept()
            media_type, _ = mimetypes.guess_type(path.name)
            return StoredFile(digest, size, None, media_type, None, False), True

    def _wait_for(self, handle: Artifact, timeout: float) -> None:
        sender = self._sender
        if sender is not None:
            sender.nudge()
        handle._known.wait(timeout)

    # --- runs -------------------------------------------------------------------------------
    def start_run(
        self,
        name: str,
        *,
        config: Any = None,
        seed: int | None = None,
        tags: Mapping[str, object] | None = None,
        parent: Run | RunHandle | str | None = None,
        params: Any = None,
        data_filters: Any = None,
        code: _Capture = True,
        environment: _Capture = True,
        hardware: _Capture = True,
        user: str | bool = True,
        job_namespace: str | None = None,
        job_name: str | None = None,
    ) -> Run:
        """Start a run with its provenance (code, environment, hardware: True captures, False
        leaves out, a dict/model overrides). Inside another run's ``with`` it is a child run."""
        if parent is None:
            stack = _active_runs.get()
            parent = stack[-1] if stack else None
        parent_id = None
        if parent is not None:
            ref = parent.ref if isinstance(parent, Run | RunHandle) else parent
            parsed = parse_ref(ref, field="parent")
            if parsed.kind is not NodeKind.RUN:
                raise BadInput(f"parent must be a run, not {ref!r}", field="parent")
            parent_id = uuid.UUID(parsed.name)
        seeds = seed_everything(seed) if seed is not None else last_seeds()
        prov = Provenance(
            code=_capture(code, CodeVersion, self._capture_code),
            environment=_capture(
                environment,
                Environment,
                lambda: provenance.capture_environment(self.settings.image_digest),
            ),
            hardware=_capture(hardware, Hardware, provenance.capture_hardware),
            seeds=seeds,
            config=to_json_object(config, "config") if config is not None else None,
            data_filters=(
                to_json_object(data_filters, "data_filters") if data_filters is not None else None
            ),
            user=(provenance.current_user() if user is True else (user or None)),
        )
        run_id = uuid.uuid4()
        event = build(
            RunStarted,
            run_id=run_id,
            name=name,
            parent_run_id=parent_id,
            provenance=prov,
            tags=reproduction_tags(normalize_tags(tags), top_level=parent_id is None),
            job_namespace=job_namespace,
            job_name=job_name,
        )
        run = Run(self, run_id, name, parent if isinstance(parent, Run) else None)
        self._emit(event)
        with self._runs_lock:
            self._runs.add(run)
        if params is not None:
            run.log_params(params)
        return run

    def _capture_code(self) -> CodeVersion:
        stack = _active_runs.get()
        if stack and self._code_cache is not None:  # a child run shares its parent's checkout
            return self._code_cache.code
        captured = provenance.capture_code()
        if captured.diff is not None:
            provenance.keep_diff(Path(self.settings.spool_dir), captured.diff)
            if self._blobs is not None:  # uploaded in the background; the blob's name is its digest
                code = captured.code.model_copy(update={"diff_ref": captured.code.diff_digest})
                captured = provenance.CodeCapture(code, captured.diff)
                self._send_kept()
        self._code_cache = captured
        return captured.code

    def _send_kept(self) -> None:
        if self._kept is None:
            assert self._blobs is not None
            self._kept = KeptUploads(Path(self.settings.spool_dir), self._blobs.upload)
        self._kept.submit()

    def _push(self, run: Run) -> None:
        _active_runs.set((*_active_runs.get(), run))

    def _pop(self, run: Run) -> None:
        stack = _active_runs.get()
        if run in stack:
            _active_runs.set(tuple(r for r in stack if r is not run))

    def _run_ended(self, run: Run) -> None:
        with self._runs_lock:
            self._runs.discard(run)

    # --- flush, close, reads ----------------------------------------------------------------
    def flush(self, timeout: float = 30.0) -> int:
        """Block until everything queued has the service's answer, at most ``timeout``
        seconds; returns how many events remain unsent (they stay in the spool)."""
        self._report()
        deadline = time.monotonic() + max(timeout, 0.0)
        sender = self._sender
        remaining = sender.flush(timeout) if sender is not None else 0
        # a sender process that died hands its segment to a thread a moment later: wait for
        # the hand-over and flush through the thread with what is left of the timeout
        while (
            remaining
            and isinstance(sender, ProcessSender)
            and sender.ending()
            and not self._closed
            and time.monotonic() < deadline
        ):
            if self._sender is sender:
                time.sleep(0.01)
                continue
            sender = self._sender
            left = max(deadline - time.monotonic(), 0.0)
            remaining = sender.flush(left) if sender is not None else 0
        self._report()
        return remaining

    def close(self, timeout: float = 10.0) -> int:
        """Flush for at most ``timeout`` seconds and stop the sender; returns what remains."""
        if self._closed:
            return 0
        remaining = self.flush(timeout)
        self._closed = True
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.stop()
        self._transport.close()
        if self._kept is not None:  # a short wait for an upload under way; else next time
            self._kept.wait_idle(min(timeout, 5.0) if remaining == 0 else 0.0)
            self._kept.stop()
        if self._blobs is not None:
            self._blobs.close()
        lifecycle.unregister(self)
        return remaining

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reader(self) -> Querier:
        query = getattr(self._transport, "query", None)
        if not callable(query):
            raise LineageError("this client's transport cannot run queries")
        return self._transport  # type: ignore[return-value]

    def _flush_before_read(self) -> None:
        """Read your own writes: wait for what is queued, unless the service is failing now
        (then the read itself reports it at once instead of after the flush deadline)."""
        sender = self._sender
        self.flush(0.0 if sender is not None and sender.last_error else 30.0)

    def download(
        self, artifact: Artifact | str, path: str | Path, **options: Any
    ) -> DownloadResult:
        """Fetch an artifact's bytes (a ref, an Artifact, or a blob digest) to ``path`` through
        a presigned GET, verifying the SHA-256 while writing: a mismatch raises and leaves no
        file under ``path``. A PENDING artifact (bytes not verified) is NOT_FOUND."""
        if self._blobs is None:
            raise LineageError("this client has no blob service (blobs=False or a test transport)")
        source = artifact.ref if isinstance(artifact, Artifact) else artifact
        if not source.startswith("sha256:"):
            self._flush_before_read()  # the registration may still be spooled
        return self._blobs.download(source, path, **options)

    def impact(self, artifact: Artifact | str) -> Impact:
        """Everything downstream of an artifact (the GraphQL ``impact`` query)."""
        ref, pending = ref_of(artifact, "ref")
        if pending is not None:
            ref = pending.ref
        self._flush_before_read()
        return fetch_impact(self._reader(), ref)

    def get_run(self, ref: Run | str) -> RunHandle:
        return RunHandle(
            ref.ref if isinstance(ref, Run) else ref, self._reader, self._flush_before_read
        )

    # --- process hooks (lifecycle.py) -------------------------------------------------------
    def _active(self) -> list[Run]:
        with self._runs_lock:
            return list(self._runs)

    def _can_take_signal(self) -> bool:
        """False when the signal interrupted this client's spool append (lock held)."""
        sender = self._sender
        if sender is None:
            return True
        if sender.append_lock.acquire(timeout=0.05):
            sender.append_lock.release()
            return True
        return False

    def _on_sigterm(self) -> None:
        for run in self._active():
            run._kill()
        self._finish_quietly(min(self.flush_at_exit, 10.0))

    def _at_exit(self) -> None:
        failure = lifecycle.uncaught_exception()
        for run in self._active():
            with contextlib.suppress(LineageError):
                if failure is None:
                    run.end(RunStatus.COMPLETED)
                else:
                    from lineagegraph.sdk.run import error_type_name

                    run.end(
                        RunStatus.FAILED,
                        error_type=error_type_name(failure),
                        error_message=str(failure),
                    )
        self._finish_quietly(self.flush_at_exit)
        self.close(0)

    def _finish_quietly(self, timeout: float) -> None:
        sender = self._sender
        if sender is None:
            return
        remaining = sender.flush(timeout)
        if remaining:
            print(
                f"lineagegraph: {remaining} events not yet acknowledged remain spooled in "
                f"{self._spool.directory}; the next client or `lineage sync` sends them",
                file=sys.stderr,
            )
        kept = self._kept
        if kept is not None and not kept.wait_idle(0.0 if remaining else min(timeout, 5.0)):
            print(
                f"lineagegraph: {len(pending_kept(kept.spool_dir))} kept files (code diffs, "
                f"artifact bytes) wait in {kept.spool_dir}; the next client or `lineage sync` "
                "uploads them",
                file=sys.stderr,
            )
