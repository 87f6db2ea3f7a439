"""Batches written in order by one background thread while the caller produces the next.

The database drivers release the GIL while they work, so parsing a hash-set file or feeding
the hashing workers overlaps with the writes. Used by hash-set imports and by scans.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
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
