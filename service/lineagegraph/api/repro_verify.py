"""Running a verification in the service: resolve the runs (refs or ``key=value`` tag selectors),
read them from the graph, fetch the bytes of ``.npy``/``.npz`` outputs the algorithmic level
compares, verify (``lineagegraph.repro``), store the verdict as a ReproducibilityCheck.

``artifact_bytes`` is the one place that finds an output's bytes: the blob store's object for its
digest, an ``s3://`` reference, or a ``file://`` reference (the SDK records files so until
uploads go through the service). Whatever the source, the bytes are used only when they hash to
the digest the graph holds: a reference can never make the service read some other file.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from minio import Minio
from minio.error import S3Error
from pydantic import ValidationError

from lineagegraph.blobs.keys import blob_key
from lineagegraph.errors import BadInput
from lineagegraph.graph.repro_store import ReproStore, run_ref
from lineagegraph.repro.diff import Pairing, pair_outputs
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.statistical import StatisticalSettings, verify_groups
from lineagegraph.repro.tolerance import Tolerance
from lineagegraph.repro.verdict import Verdict
from lineagegraph.repro.verify import verify_pair
from lineagegraph.sdk._hashing import sha256_file

MAX_ARRAY_BYTES = 2 * 1024**3  # larger outputs are reported as not compared, never loaded
Fetch = Callable[[ProducedArtifact, Path], Path | None]


@dataclass(frozen=True)
class VerifyRequest:
    level: Level
    a: str | None = None
    b: str | None = None
    group_a: Sequence[str] = ()
    group_b: Sequence[str] = ()
    tolerance: Tolerance = field(default_factory=Tolerance)
    statistical: StatisticalSettings = field(default_factory=StatisticalSettings)
    metric_keys: Sequence[str] | None = None


def tolerance_of(rtol: float | None, atol: float | None) -> Tolerance:
    given = {k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None}
    try:
        return Tolerance(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "tolerance"
        raise BadInput(f"{name}: {first['msg']}", field=name) from None


def statistical_of(**given: object) -> StatisticalSettings:
    values = {k: v for k, v in given.items() if v is not None}
    try:
        return StatisticalSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "statistical"
        raise BadInput(f"{name}: {first['msg']}", field=name) from None


# --- the bytes of array outputs ---------------------------------------------------------------
def _verified(path: Path, digest: str) -> bool:
    return sha256_file(path)[0] == digest


def _s3_copy(s3: Minio, bucket: str, key: str, digest: str, target: Path) -> Path | None:
    try:
        info = s3.stat_object(bucket, key)
        if (info.size or 0) > MAX_ARRAY_BYTES:
            return None
        s3.fget_object(bucket, key, str(target))
    except S3Error:
        return None
    if _verified(target, digest):
        return target
    target.unlink(missing_ok=True)
    return None


def artifact_bytes(
    artifact: ProducedArtifact, workdir: Path, *, s3: Minio | None, bucket: str | None
) -> Path | None:
    """A local file holding the output's bytes (verified against its digest), or None."""
    digest = artifact.digest
    if digest is None:
        return None
    suffix = next(
        (s for s in (".npz", ".npy") if artifact.name.lower().endswith(s)),
        Path(urlsplit(artifact.uri or "").path).suffix or ".npy",
    )
    target = workdir / f"{digest.removeprefix('sha256:')}{suffix}"
    if target.exists():
        return target
    if s3 is not None and bucket is not None:
        found = _s3_copy(s3, bucket, blob_key(digest), digest, target)
        if found is not None:
            return found
    uri = urlsplit(artifact.uri or "")
    if uri.scheme == "s3" and s3 is not None and uri.netloc and uri.path.strip("/"):
        return _s3_copy(s3, uri.netloc, unquote(uri.path.lstrip("/")), digest, target)
    if uri.scheme == "file" and uri.netloc in ("", "localhost"):
        local = Path(unquote(uri.path))
        with contextlib.suppress(OSError):
            small = local.is_file() and local.stat().st_size <= MAX_ARRAY_BYTES
            if small and _verified(local, digest):
                return local
    return None


def with_array_bytes(
    a: RunSnapshot, b: RunSnapshot, fetch: Fetch, workdir: Path
) -> tuple[RunSnapshot, RunSnapshot]:
    """The two runs with ``local_path`` set on the array outputs whose digests differ (equal
    digests pass as identical bytes without loading anything)."""
    differing = {
        p.key for p in pair_outputs(a, b) if p.status in (Pairing.DIFFERENT, Pairing.UNKNOWN)
    }

    def fill(run: RunSnapshot) -> RunSnapshot:
        produced = [
            item.model_copy(update={"local_path": fetch(item, workdir)})
            if item.name in differing and item.is_array
            else item
            for item in run.produced
        ]
        return run.model_copy(update={"produced": produced})

    return fill(a), fill(b)


# --- resolving and verifying ------------------------------------------------------------------
def resolve_group(store: ReproStore, items: Sequence[str], field: str) -> list[str]:
    """Run refs from refs and ``key=value`` tag selectors (completed runs carrying the tag)."""
    refs: list[str] = []
    for item in items:
        text = item.strip()
        if "=" in text and not text.startswith("run:"):
            key, _, value = text.partition("=")
            if not key:
                raise BadInput(f"{item!r}: a tag selector reads key=value", field=field)
            selected = store.runs_with_tag(key, value)
            if not selected:
                raise BadInput(f"tag {key}={value} selects no completed run", field=field)
            refs += [ref for ref in selected if ref not in refs]
        else:
            refs.append(run_ref(text, field))
    return refs


def run_verification(store: ReproStore, request: VerifyRequest, fetch: Fetch | None) -> Verdict:
    """Verify and store the verdict; BadInput/NotFound for requests that cannot be judged."""
    if request.level is Level.STATISTICAL:
        if not request.group_a or not request.group_b:
            raise BadInput(
                "the statistical level compares two groups of trial runs: give groupA and "
                f"groupB (refs or tag=value), at least {request.statistical.required_trials} "
                "runs each",
                field="groupA" if not request.group_a else "groupB",
            )
        if request.a or request.b:
            raise BadInput("give groups for the statistical level, not a and b", field="a")
        refs_a = resolve_group(store, request.group_a, "groupA")
        refs_b = resolve_group(store, request.group_b, "groupB")
        runs = store.require_snapshots(
            [(r, "groupA") for r in refs_a] + [(r, "groupB") for r in refs_b]
        )
        verdict = verify_groups(
            runs[: len(refs_a)],
            runs[len(refs_a) :],
            settings=request.statistical,
            metric_keys=request.metric_keys,
        )
    else:
        if request.group_a or request.group_b:
            raise BadInput(
                f"groups are for the statistical level; the {request.level.value} level "
                "compares two runs a and b",
                field="groupA",
            )
        if not request.a or not request.b:
            raise BadInput(
                f"the {request.level.value} level needs two runs, a and b",
                field="a" if not request.a else "b",
            )
        ref_a, ref_b = run_ref(request.a, "a"), run_ref(request.b, "b")
        a, b = store.require_snapshots([(ref_a, "a"), (ref_b, "b")])
        with tempfile.TemporaryDirectory(prefix="lineage-verify-") as tmp:
            if fetch is not None and ref_a != ref_b:
                a, b = with_array_bytes(a, b, fetch, Path(tmp))
            verdict = verify_pair(
                a, b, request.level, tolerance=request.tolerance, metric_keys=request.metric_keys
            )
    store.save_check(verdict)
    return verdict
