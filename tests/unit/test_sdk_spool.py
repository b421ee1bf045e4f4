"""The on-disk spool: framing, torn tails, corruption, acks and who may replay a segment."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import zlib

from lineagegraph.sdk.spool import (
    ADLER32_FLAG,
    DATA_START,
    MAGIC,
    AckState,
    ScanResult,
    Spool,
    frame,
    framed_size,
    scan,
)


def _segment_with(spool: Spool, payloads: list[bytes], framing=frame):
    segment = spool.new_segment()
    for payload in payloads:
        segment.append(framing(payload))
    return segment


def test_records_read_back_in_order_with_their_end_offsets(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    payloads = [b'{"n":%d}' % i for i in range(5)]
    segment = _segment_with(spool, payloads)
    found = scan(segment.path)
    assert [p for _, p in found.records] == payloads
    assert found.records[-1][0] == segment.end == found.valid_end
    assert (found.torn_bytes, found.corrupt_at) == (0, None)
    # reading from an offset continues exactly after that record
    again = scan(segment.path, found.records[1][0])
    assert [p for _, p in again.records] == payloads[2:]


def _poke(segment, at: int, raw: bytes) -> None:
    """Bytes straight into the writer's map (what a crash mid-append can leave)."""
    segment.mapped[at : at + len(raw)] = raw


def test_a_fresh_segment_is_pre_sized_and_its_zero_tail_is_the_clean_end(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = spool.new_segment()
    assert segment.path.stat().st_size == segment.capacity >= 4096
    assert scan(segment.path) == ScanResult([], DATA_START)
    segment.append(frame(b"one"))
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.valid_end == segment.end == DATA_START + framed_size(3)
    assert (found.torn_bytes, found.corrupt_at) == (0, None)


def test_a_payload_without_its_header_is_a_torn_tail(tmp_path):
    # the writer copies the payload, then stores the header: killed in between, the record
    # has a zero header with bytes behind it (the call never returned)
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"one", b"two"])
    _poke(segment, segment.end + 8, b"three-is-longer")
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one", b"two"]
    assert found.valid_end == segment.end
    assert found.torn_bytes == 8 + len(b"three-is-longer")
    assert found.corrupt_at is None


def test_a_header_cut_short_is_a_torn_tail_too(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"one"])
    whole = frame(b"two")
    _poke(segment, segment.end + 8, whole[8:])
    _poke(segment, segment.end, whole[:2])  # the length's low bytes only, no checksum
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.torn_bytes == framed_size(3)
    assert found.corrupt_at is None


def test_a_bad_checksum_in_the_last_frame_is_a_torn_tail(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"one", b"two"])
    last = scan(segment.path).records[0][0]
    segment.mapped[last + 8] ^= 0xFF  # the last record's first payload byte
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.torn_bytes == framed_size(3)
    assert found.corrupt_at is None


def test_damage_in_the_middle_is_corruption_not_a_tail(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"one", b"two", b"three"])
    second = DATA_START + framed_size(3)
    segment.mapped[second + 8] ^= 0xFF  # first payload byte of "two"
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.corrupt_at == second


def test_a_header_zeroed_in_the_middle_is_corruption_not_the_end(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"one", b"two", b"three"])
    second = DATA_START + framed_size(3)
    _poke(segment, second, bytes(8))  # valid frames follow: not a writer that died
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.corrupt_at == second


def _adler_frame(payload: bytes) -> bytes:
    """A frame as the training loop's metrics writer makes it: Adler-32, flagged in the length."""
    return struct.pack("<II", len(payload) | ADLER32_FLAG, zlib.adler32(payload)) + payload


def test_adler32_frames_read_back_beside_crc32_frames(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = spool.new_segment()
    payloads = [b"crc-one", b"adler-two", b"crc-three", b"adler-four!"]
    for i, payload in enumerate(payloads):
        segment.append(_adler_frame(payload) if i % 2 else frame(payload))
    found = scan(segment.path)
    assert [p for _, p in found.records] == payloads
    assert found.valid_end == segment.end
    assert (found.torn_bytes, found.corrupt_at) == (0, None)


def test_an_adler32_frame_is_checked_with_adler32(tmp_path):
    segment = _segment_with(Spool(tmp_path, 1 << 20), [b"one", b"two", b"three"], _adler_frame)
    second = DATA_START + framed_size(3)
    # the CRC-32 of the right payload under the Adler-32 flag does not pass
    segment.mapped[second + 4 : second + 8] = struct.pack("<I", zlib.crc32(b"two"))
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.corrupt_at == second
    # restored, then a flipped payload byte is caught too
    segment.mapped[second + 4 : second + 8] = struct.pack("<I", zlib.adler32(b"two"))
    assert [p for _, p in scan(segment.path).records] == [b"one", b"two", b"three"]
    segment.mapped[second + 9] ^= 0x01
    assert scan(segment.path).corrupt_at == second


def test_a_zeroed_header_before_an_adler32_frame_is_corruption(tmp_path):
    segment = _segment_with(Spool(tmp_path, 1 << 20), [b"one", b"two", b"three"], _adler_frame)
    second = DATA_START + framed_size(3)
    _poke(segment, second, bytes(8))  # the valid (Adler-32) frame behind it is found
    found = scan(segment.path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.corrupt_at == second


def test_a_segment_grows_past_its_first_size(tmp_path):
    spool = Spool(tmp_path, 64 << 20)
    segment = spool.new_segment()
    first = segment.capacity
    payloads = [bytes([i % 251]) * 1000 for i in range(3 * first // 1000)]
    for payload in payloads:
        segment.append(frame(payload))
    assert segment.capacity > first
    assert segment.path.stat().st_size == segment.capacity
    assert [p for _, p in scan(segment.path).records] == payloads


def _legacy_segment(path, payloads: list[bytes], tail: bytes = b"") -> None:
    path.write_bytes(MAGIC + b"".join(frame(p) for p in payloads) + tail)


def test_the_older_append_only_format_is_still_read(tmp_path):
    path = tmp_path / "old.wal"
    whole = frame(b"three-is-longer")
    _legacy_segment(path, [b"one", b"two"], whole[:-4])  # a write cut short by a crash
    found = scan(path)
    assert [p for _, p in found.records] == [b"one", b"two"]
    assert found.torn_bytes == len(whole) - 4
    _legacy_segment(path, [b"one"], b"\x05\x00")  # a torn header
    assert scan(path).torn_bytes == 2
    _legacy_segment(path, [b"one", b"two", b"three"])
    data = bytearray(path.read_bytes())
    second = len(MAGIC) + len(frame(b"one"))
    data[second + 8] ^= 0xFF
    path.write_bytes(bytes(data))
    found = scan(path)
    assert [p for _, p in found.records] == [b"one"]
    assert found.corrupt_at == second


def test_a_file_without_the_magic_is_corrupt(tmp_path):
    path = tmp_path / "x.wal"
    path.write_bytes(b"garbage")
    assert scan(path).corrupt_at == 0


def test_ack_state_round_trips_and_survives_garbage(tmp_path, caplog):
    path = tmp_path / "seg.wal.ack"
    AckState(123, {"e1": "model:m@1"}).save(path)
    assert AckState.load(path) == AckState(123, {"e1": "model:m@1"})
    path.write_text("{not json")
    assert AckState.load(path) == AckState()  # replays from the start: the service dedups
    assert "unreadable spool ack file" in caplog.text
    assert AckState.load(tmp_path / "missing.ack") == AckState()


def test_a_live_processs_segment_is_not_claimed(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    mine = _segment_with(spool, [b"mine"])
    other = Spool(tmp_path, 1 << 20)
    claimed, busy = other.claim_orphans()
    assert (claimed, busy) == ([], 1)
    mine.close()  # the owner is gone: its lock went with it
    claimed, busy = other.claim_orphans()
    assert [s.path for s in claimed] == [mine.path]
    assert busy == 0


def test_a_segment_of_a_killed_process_is_claimable(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from lineagegraph.sdk.spool import Spool, frame
        segment = Spool(Path({str(tmp_path)!r}), 1 << 20).new_segment()
        segment.append(frame(b"before the crash"))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -9
    claimed, _ = Spool(tmp_path, 1 << 20).claim_orphans()
    assert len(claimed) == 1
    assert [p for _, p in scan(claimed[0].path).records] == [b"before the crash"]


def test_removing_a_segment_removes_its_ack_file(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    segment = _segment_with(spool, [b"x"])
    segment.ack.offset = segment.end
    segment.save_ack()
    assert segment.ack_path.exists()
    segment.remove()
    assert list(tmp_path.iterdir()) == []


def test_used_bytes_counts_segments(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    a = _segment_with(spool, [b"x" * 100])
    b = _segment_with(spool, [b"y" * 50])
    assert spool.used_bytes() == a.capacity + b.capacity  # pre-sized files count whole
    assert spool.used_bytes(exclude=a.path) == b.capacity
