"""ReadAhead: an iterator started in a thread, handed over to its consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from puente.flows.background import BatchWriter, ReadAhead
from puente.ingest import scanner
from puente.ingest.model import Limits


def numbers(n: int, seen: list[str], closed: list[bool], *, fail_at: int = -1) -> Iterator[int]:
    try:
        for i in range(n):
            if i == fail_at:
                raise OSError("evidence gone")
            seen.append(threading.current_thread().name)
            yield i
    finally:
        closed.append(True)


def test_items_come_in_order_and_the_consumer_takes_over() -> None:
    seen: list[str] = []
    closed: list[bool] = []
    ahead = ReadAhead(numbers(1000, seen, closed), limit=10, name="ahead")
    time.sleep(0.05)  # the thread stops at its limit
    assert seen.count("ahead") == 10
    assert list(ahead) == list(range(1000))
    assert seen.count("ahead") == 10  # the rest ran in the consumer's thread
    assert set(seen[10:]) == {threading.current_thread().name}
    assert closed == [True]
    ahead.close()


def test_an_error_before_the_handover_is_raised_to_the_consumer() -> None:
    closed: list[bool] = []
    ahead = ReadAhead(numbers(10, [], closed, fail_at=3))
    with pytest.raises(OSError, match="evidence gone"):
        list(ahead)
    ahead.close()


def test_close_ends_it_unconsumed() -> None:
    closed: list[bool] = []
    ahead = ReadAhead(numbers(10**9, [], closed))
    time.sleep(0.01)
    ahead.close()
    assert closed == [True]


def test_batch_writer_writes_in_order_and_raises_the_first_error() -> None:
    done: list[int] = []

    def write(batch: list[int]) -> None:
        if batch == [3]:
            raise ValueError("disk full")
        done.extend(batch)

    writer = BatchWriter(write)
    for i in range(3):
        writer.put([i])
    writer.close()
    assert done == [0, 1, 2]
    failing = BatchWriter(write)
    failing.put([3])
    with pytest.raises(ValueError, match="disk full"):
        failing.put([4])
        failing.close()


def test_a_scan_started_ahead_keeps_its_workers_after_the_handover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hashing workers are forked from the ahead thread; they must outlive its reading
    (on Linux they are killed when the thread that created them ends)."""
    for i in range(60):
        (tmp_path / f"f{i:02}.bin").write_bytes(bytes([i]) * 5000)
    monkeypatch.setattr(scanner, "_BATCH_FILES", 2)  # 30 tasks: most submitted after
    ahead = ReadAhead(scanner.scan(tmp_path, Limits(), workers=2), limit=1)
    try:
        time.sleep(0.2)
        items = list(ahead)
    finally:
        ahead.close()
    assert sorted(i.path for i in items) == [f"f{i:02}.bin" for i in range(60)]
    assert all(i.status == "ok" for i in items)
