"""Batches written in order by one background thread while the caller produces the next.

The database drivers release the GIL while they work, so parsing a hash-set file or feeding
the hashing workers overlaps with the writes. Used by hash-set imports and by scans.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

B = TypeVar("B")


class BatchWriter(Generic[B]):
    """Calls ``write(batch)`` for each ``put`` batch, in order, in one background thread.

    At most ``depth`` batches wait (bounded memory). ``close()`` returns once every queued
    batch is written and raises the first write error; batches queued after a failed one
    are not written (a re-run or --resume adds them). Without ``threaded`` (an in-memory
    SQLite database exists only in its own thread) ``put`` writes at once.
    """

    def __init__(
        self,
        write: Callable[[B], None],
        *,
        threaded: bool = True,
        depth: int = 2,
        name: str = "puente-writer",
    ) -> None:
        self._write = write
        self._error: BaseException | None = None
        self._queue: queue.Queue[B | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(batch)
                except BaseException as exc:
                    self._error = exc
            self._queue.task_done()

    def idle(self) -> bool:
        """Whether the thread waits for work (then a smaller batch may as well go now)."""
        return self._thread is not None and self._queue.unfinished_tasks == 0

    def put(self, batch: B) -> None:
        self._raise()
        if self._thread is None:
            self._write(batch)
        else:
            self._queue.put(batch)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


T = TypeVar("T")


class ReadAhead(Generic[T]):
    """Starts an iterator in a background thread until its consumer is ready for it.

    The thread collects up to ``limit`` items; iterating hands over: the thread stops after
    its current item, the collected items come first, then the iterator goes on in the
    consumer's own thread (no cost per item once handed over). Used to hash evidence while
    a scan loads its hash sets and records its start. ``close()`` (always call it: it ends
    the thread) closes the iterator, consumed or not.
    """

    def __init__(self, items: Iterator[T], *, limit: int = 100_000, name: str = "puente-ahead"):
        self._items = items
        self._limit = limit
        self._buffer: list[T] = []
        self._error: BaseException | None = None
        self._exhausted = False
        self._handover = threading.Event()
        self._parked = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._items:
                self._buffer.append(item)
                if self._handover.is_set() or len(self._buffer) >= self._limit:
                    break  # the iterator stays where it is: the consumer goes on with it
            else:
                self._exhausted = True
        except BaseException as exc:
            self._error = exc
        finally:
            self._parked.set()
        # Processes started from this thread (a scan's hashing workers) can be bound to its
        # life: Linux's PR_SET_PDEATHSIG fires when the creating *thread* ends. So it ends
        # only after close(), once the iterator has shut them down.
        self._release.wait()

    def __iter__(self) -> Iterator[T]:
        self._handover.set()
        self._parked.wait()
        if self._error is not None:
            raise self._error
        buffer, self._buffer = self._buffer, []
        yield from buffer
        del buffer
        if not self._exhausted:
            yield from self._items

    def close(self) -> None:
        """Stop the thread's reading (after its current item), close the iterator, end the
        thread."""
        self._handover.set()
        self._parked.wait()
        try:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
        finally:
            self._release.set()
            self._thread.join()
