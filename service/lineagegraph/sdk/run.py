"""A live run: what ``client.start_run`` returns and the ``with`` block manages.

Every method validates its input at the call (a BadInput names the field), appends an event to
the spool and returns; none waits for the network. Steps left out of ``log_metrics`` count up per
run from 0: each call without ``step`` takes the step after the latest one used.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
import warnings
import zlib
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lineagegraph.errors import BadInput
from lineagegraph.models import (
    ArtifactConsumed,
    ArtifactProduced,
    Interval,
    ParamsLogged,
    RunFinished,
    RunStatus,
    RunTagged,
)
from lineagegraph.refs import NodeKind
from lineagegraph.sdk import lifecycle
from lineagegraph.sdk.artifacts import Artifact, ref_of
from lineagegraph.sdk.encode import (
    MetricsShape,
    build,
    check_metrics,
    check_step,
    metric_numbers,
)
from lineagegraph.sdk.jsonable import to_json_object
from lineagegraph.sdk.reads import RunReader
from lineagegraph.sdk.spool import HEAD

if TYPE_CHECKING:
    from pathlib import Path

    from lineagegraph.sdk.client import Client

MAX_ERROR_MESSAGE = 10_000
_RUNNING = RunStatus.RUNNING
_now = time.time
_adler32 = zlib.adler32  # no lookup tables: cheap with cold caches (sdk/spool.py)
_head = HEAD.pack_into  # a frame header (length word | checksum << 32) into the mapped segment


class LineageWarning(UserWarning):
    """Something the SDK could not do for you, reported without stopping training."""


class RunEnded(BadInput):
    """Logging to a run that has already ended."""


def normalize_tags(tags: Mapping[str, object] | None, field: str = "tags") -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise BadInput(f"{field} must be a dict of str -> str", field=field)
    out = {}
    for key, value in tags.items():
        if not isinstance(key, str):
            raise BadInput(f"{field}: tag keys must be strings, not {key!r:.40}", field=field)
        if not isinstance(value, str | int | float | bool):
            raise BadInput(
                f"{field}.{key}: tag values must be strings (numbers and bools are converted), "
                f"not {type(value).__name__}",
                field=f"{field}.{key}",
            )
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = str(value)
    return out


def _interval(value: object, where: str) -> Interval:
    if isinstance(value, Interval):
        return value
    if isinstance(value, Mapping):
        fields = dict(value)
    elif isinstance(value, tuple | list) and len(value) in (3, 4):
        fields = dict(zip(("value", "low", "high", "confidence"), value, strict=False))
    else:
        raise BadInput(
            f"{where} must be (value, low, high), (value, low, high, confidence) or a dict",
            field=where,
        )
    interval = build(Interval, **fields)
    assert isinstance(interval, Interval)
    bounds = (interval.low, interval.value, interval.high)
    if (
        all(math.isfinite(b) for b in bounds)
        and not interval.low <= interval.value <= interval.high
    ):
        raise BadInput(f"{where}: need low <= value <= high, got {bounds}", field=where)
    return interval


class Run(RunReader):
    def __init__(self, client: Client, run_id: uuid.UUID, name: str, parent: Run | None) -> None:
        self.client = client
        self.id = run_id
        self.ref = f"run:{run_id}"
        self.name = name
        self.parent = parent
        self.status = RunStatus.RUNNING
        self._run_id = str(run_id)
        self._step = -1
        self._lock = threading.RLock()  # re-entered when SIGTERM interrupts log_metrics
        self._killed_by_signal = False
        self._shapes: dict[tuple[Any, ...], MetricsShape] = {}
        self._querier = client._reader
        self._before_read = client._flush_before_read
        writer = client._metrics_writer
        if writer is not None:  # the common case of log_metrics in C, the rest below
            self.log_metrics = writer(self, _RUNNING, lifecycle, self._log_metrics_py)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"Run({self.name!r}, {self.ref}, {self.status.value})"

    @property
    def ended(self) -> bool:
        return self.status is not RunStatus.RUNNING

    def _check_open(self, what: str, *, soft: bool = True) -> bool:
        """True when the run is open. After SIGTERM killed it, ``soft`` calls warn and return
        False (a graceful-shutdown handler may still log: do not crash it); else RunEnded."""
        if self.status is RunStatus.RUNNING:
            return True
        if (
            soft and self._killed_by_signal
        ):  # a graceful-shutdown handler may still log: do not crash it
            warnings.warn(
                f"{what} on {self.ref} ignored: the run was marked KILLED by SIGTERM",
                LineageWarning,
                stacklevel=3,
            )
            return False
        raise RunEnded(
            f"cannot {what}: run {self.name!r} ({self.ref}) has already ended "
            f"({self.status.value})",
            field="run",
        )

    # --- metrics, params, tags ---------------------------------------------------------------
    def log_metrics(self, values: Mapping[str, object], step: int | None = None) -> None:
        """Log several metrics at one step (NaN and +-Infinity are stored as such).

        The training loop's path, written out in one function: inside a NumPy loop the caches
        are cold between steps and every Python call level costs a microsecond or more. The
        record is one ``struct.pack`` of a Struct cached per key set (``encode.MetricsShape``),
        copied into the memory-mapped spool segment with its frame header (no system call):
        once this returns, the event survives a crash of the process. Where the C writer was
        built (``sdk/_fastmetrics.c``, setting ``native_metrics``) a run's ``log_metrics`` is
        that writer: it writes the same record for the common call and hands every other call
        (first use of a key set, a full segment, bad input, an ended run) to this method."""
        if self.status is not _RUNNING and not self._check_open("log_metrics"):
            return
        client = self.client
        if client._unreported:
            client._report()
        if step is None:
            with self._lock:  # steps counted for the caller are unique across threads
                self._step += 1
                use = self._step
        else:
            use = step if type(step) is int and step >= 0 else check_step(step)
            if use > self._step:  # racy only against a concurrent explicit step: harmless
                self._step = use
        sender = client._sender
        if sender is None:
            sender = client._pipeline()
        keys = tuple(values) if type(values) is dict and values else check_metrics(values)
        shape = self._shapes.get(keys)  # emptied when the client's id prefix changes (fork)
        if shape is None:
            shape = self._shapes[keys] = MetricsShape(client._id_prefix, self._run_id, keys)  # type: ignore[arg-type]
        numbers = values.values()
        if bool in map(type, numbers):  # struct would pack True as 1.0: refuse it as the model does
            metric_numbers(keys, list(numbers))  # raises BadInput naming the metric
        try:  # struct takes floats, ints and anything with __float__ (NumPy scalars) as doubles
            payload = shape.pack(shape.const, next(client._ids), _now(), use, *numbers)
        except Exception:  # not a number: BadInput naming the metric (or its conversion error)
            numbers = metric_numbers(keys, list(numbers))  # type: ignore[assignment]
            payload = shape.pack(shape.const, next(client._ids), _now(), use, *numbers)
        with sender.append_lock:
            active = sender.active
            if active is None:
                client._drop("the spool could not be written (no active segment)")
                return
            at = active.end
            end = at + shape.size
            if end > active.limit:  # grow the file, or the spool cap is reached
                try:
                    if not sender.make_room(active, end):
                        client._drop("the spool is full")
                        return
                except OSError as exc:  # disk full or gone: report, never crash training
                    client._drop(f"the spool could not be written ({exc})")
                    return
            mapped = active.mapped
            assert mapped is not None  # make_room refuses an unmapped segment
            # the payload first, then its header as one aligned word: a reader that sees the
            # header sees the whole record; a crash before the header leaves a zero header
            start = at + 8
            mapped[start : start + shape.length] = payload
            _head(mapped, at, shape.word | _adler32(payload) << 32)
            active.end = end
            active.offsets.append(end)
        if len(active.offsets) == sender.max_batch:  # a full batch: send now
            sender.nudge()
        if lifecycle.deferred_sigterm is not None:
            lifecycle.run_deferred()

    #: what the C writer (sdk/_fastmetrics.c) hands every call it does not finish itself
    _log_metrics_py = log_metrics

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        self.log_metrics({key: value}, step=step)

    def log_params(self, params: Mapping[str, Any] | Any) -> None:
        if self._check_open("log_params"):
            converted = to_json_object(params, "params")
            self.client._emit(build(ParamsLogged, run_id=self.id, params=converted))

    def set_tags(self, tags: Mapping[str, object]) -> None:
        if self._check_open("set_tags"):
            event = build(RunTagged, run_id=self.id, tags=normalize_tags(tags))
            self.client._emit(event)

    def set_tag(self, key: str, value: object) -> None:
        self.set_tags({key: value})

    # --- lineage -----------------------------------------------------------------------------
    def consume(self, artifact: Artifact | str) -> None:
        """Record that this run read ``artifact`` (a handle or a ref; ``dataset:<name>`` binds
        to the dataset's latest snapshot on the service)."""
        if self._check_open("consume"):
            ref, pending = ref_of(artifact, "ref")
            event = build(ArtifactConsumed, run_id=self.id, ref=ref)
            self.client._emit(event, deps=self.client._deps(pending, ["ref"]))

    def produce(self, artifact: Artifact | str) -> None:
        """Record that this run produced an artifact registered elsewhere."""
        if self._check_open("produce"):
            ref, pending = ref_of(artifact, "ref")
            event = build(ArtifactProduced, run_id=self.id, ref=ref)
            self.client._emit(event, deps=self.client._deps(pending, ["ref"]))

    def log_model(
        self,
        name: str,
        *,
        path: str | Path | None = None,
        uri: str | None = None,
        digest: str | None = None,
        version: str | None = None,
        framework: str | None = None,
        **extra: Any,
    ) -> Artifact:
        """A model this run produced; without ``version`` the service numbers it per name."""
        self._check_open("log_model", soft=False)
        return self.client._register(
            NodeKind.MODEL,
            name,
            version,
            path=path,
            uri=uri,
            digest=digest,
            produced_by=self.id,
            framework=framework,
            **extra,
        )

    def log_dataset_snapshot(
        self,
        name: str,
        version: str,
        *,
        path: str | Path | None = None,
        uri: str | None = None,
        digest: str | None = None,
        **extra: Any,
    ) -> Artifact:
        """A dataset snapshot this run produced."""
        self._check_open("log_dataset_snapshot", soft=False)
        return self.client._register(
            NodeKind.DATASET_SNAPSHOT,
            name,
            version,
            path=path,
            uri=uri,
            digest=digest,
            produced_by=self.id,
            **extra,
        )

    def log_evaluation(
        self,
        name: str,
        *,
        model: Artifact | str,
        metrics: Mapping[str, float] | None = None,
        slices: Mapping[str, Mapping[str, object]] | None = None,
        version: str | None = None,
        **extra: Any,
    ) -> Artifact:
        """An evaluation report of ``model``: overall metrics and, per slice ("country=US"),
        metrics with confidence intervals given as (value, low, high[, confidence])."""
        self._check_open("log_evaluation", soft=False)
        model_ref, pending = ref_of(model, "model")
        converted = {
            key: {
                metric: _interval(value, f"slices.{key}.{metric}")
                for metric, value in (dict(per_slice).items())
            }
            for key, per_slice in (slices or {}).items()
        }
        return self.client._register(
            NodeKind.EVALUATION_REPORT,
            name,
            version,
            produced_by=self.id,
            evaluates=model_ref,
            metrics=dict(metrics or {}),
            slices=converted,
            deps=self.client._deps(pending, ["artifact", "evaluates"]),
            **extra,
        )

    # --- the end -----------------------------------------------------------------------------
    def end(
        self,
        status: RunStatus | str = RunStatus.COMPLETED,
        *,
        error_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Finish the run (a ``with`` block does this for you). Ending twice is an error."""
        final = RunStatus(status)
        if final is RunStatus.RUNNING:
            raise BadInput("end() needs COMPLETED, FAILED or KILLED", field="status")
        with self._lock:
            if self.status is not RunStatus.RUNNING:
                raise RunEnded(f"run {self.ref} has already ended ({self.status.value})")
            self.status = final
        message = error_message[:MAX_ERROR_MESSAGE] if error_message else error_message
        event = build(
            RunFinished,
            run_id=self.id,
            status=final,
            error_type=error_type,
            error_message=message,
        )
        self.client._emit(event)
        self.client._run_ended(self)

    def _kill(self) -> None:
        """SIGTERM: mark KILLED (later log calls warn instead of raising)."""
        if self.status is RunStatus.RUNNING:
            self._killed_by_signal = True
            self.end(RunStatus.KILLED, error_type="SIGTERM", error_message="terminated by SIGTERM")

    def __enter__(self) -> Run:
        self.client._push(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client._pop(self)
        if self.status is not RunStatus.RUNNING:
            return
        if exc is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
            self.end(RunStatus.COMPLETED)
        elif isinstance(exc, KeyboardInterrupt):
            self.end(RunStatus.KILLED, error_type="KeyboardInterrupt", error_message=str(exc))
        else:
            self.end(RunStatus.FAILED, error_type=error_type_name(exc), error_message=str(exc))


def error_type_name(exc: BaseException) -> str:
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
