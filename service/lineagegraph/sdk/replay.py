"""Replaying the spool outside a training process (``lineage sync``).

Claims every segment no live client holds, sends what the service has not acknowledged, and
removes segments once everything in them has a final answer. Segments of running clients are
left alone (their own sender is on it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from lineagegraph.config import Settings, secret
from lineagegraph.sdk._kept import pending_kept, upload_pending
from lineagegraph.sdk.sender import Backoff, EventError, Sender
from lineagegraph.sdk.spool import Spool, scan
from lineagegraph.sdk.transport import HttpTransport, Transport


@dataclass
class SyncReport:
    spool_dir: Path
    sent: int = 0
    remaining: int = 0
    busy_segments: int = 0  # held by running clients
    diffs_uploaded: int = 0  # kept files sent to the blob store (code diffs, artifact bytes)
    diffs_remaining: int = 0
    rejected: list[EventError] = field(default_factory=list)


def pending_in_spool(spool_dir: Path) -> tuple[int, int]:
    """(unacknowledged events, segments) in a spool directory, without claiming anything."""
    from lineagegraph.sdk.spool import SEGMENT_SUFFIX, AckState

    events = segments = 0
    for path in sorted(spool_dir.glob(f"*{SEGMENT_SUFFIX}")):
        ack = AckState.load(path.with_name(path.name + ".ack"))
        events += len(scan(path, ack.offset).records)
        segments += 1
    return events, segments


def sync_spool(
    settings: Settings,
    *,
    transport: Transport | None = None,
    timeout: float = 60.0,
    backoff: Backoff | None = None,
) -> SyncReport:
    """Send what the spool holds; gives up after ``timeout`` seconds (the rest stays)."""
    own = transport is None
    link: Transport = transport or HttpTransport(settings.url, secret(settings.token))
    report = SyncReport(Path(settings.spool_dir))
    spool = Spool(report.spool_dir, settings.spool_max_bytes)
    sender = Sender(
        link,
        spool,
        active=None,
        max_batch=settings.max_batch_size,
        max_request_bytes=settings.max_request_bytes,
        flush_interval=settings.flush_interval_seconds,
        on_error=report.rejected.append,
        backoff=backoff,
    )
    worker = threading.Thread(target=sender.replay_orphans, name="lineagegraph-sync", daemon=True)
    worker.start()
    worker.join(timeout)
    sender.stop()  # ends retry waits; unsent events stay in their segments
    worker.join(10)
    report.sent = sender.sent
    report.remaining = sender.orphan_pending
    report.busy_segments = sender.busy_segments
    if own:
        link.close()
        if pending_kept(report.spool_dir):
            from lineagegraph.sdk._client_blobs import ClientBlobs

            blobs = ClientBlobs.over_graphql(settings.url, secret(settings.token))
            try:
                report.diffs_uploaded, report.diffs_remaining = upload_pending(
                    report.spool_dir, blobs.upload
                )
            finally:
                blobs.close()
    return report
