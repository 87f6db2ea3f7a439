"""Decode untrusted media in a worker process, so that a crash in a C decoder kills only it.

libjpeg, libpng, libheif, libwebp and FFmpeg are C code fed with seized, possibly hostile
files. ``IsolatedHasher`` runs ``hash_image``/``hash_video`` in a child process: if the child
dies (segfault, abort, out of memory) or exceeds the time limit, it is restarted and the file
is reported as an error naming the file and the cause; the caller's scan carries on.

    with IsolatedHasher(timeout=60) as hasher:
        try:
            result = hasher.hash_image(path)
        except (EvidenceError, LimitExceeded, FormatError) as exc:
            record(path, exc)        # never dropped
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from puente.errors import DecoderCrashed, EvidenceError, LimitExceeded, PuenteError
from puente.hashing.pdq import HashPolicy, PdqResult
from puente.hashing.vpdq import VpdqResult

Source = str | os.PathLike[str] | bytes


def _task(kind: str, source: str | bytes, kwargs: dict[str, Any]) -> Any:
    if kind == "pdq":
        from puente.hashing.pdq import hash_image

        return hash_image(source, **kwargs)
    if kind == "vpdq":
        from puente.hashing.vpdq import hash_video

        if isinstance(source, bytes):
            raise ValueError("vPDQ needs a path: PyAV opens the file itself")
        return hash_video(source, **kwargs)
    if kind == "crash":  # lets tests check recovery from a real segfault
        os.kill(os.getpid(), signal.SIGSEGV)
    raise ValueError(f"unknown task {kind!r}")


def _worker(conn: Connection) -> None:
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        kind, source, where, kwargs = msg
        try:
            conn.send(("ok", _task(kind, source, kwargs)))
        except PuenteError as exc:
            conn.send(("error", _freeze(exc)))
        except Exception as exc:  # a decoder bug: report it, keep the worker
            conn.send(("error", _freeze(EvidenceError(f"{where}: {type(exc).__name__}: {exc}"))))


def _freeze(exc: PuenteError) -> tuple[str, str, dict[str, Any]]:
    # FormatError/LimitExceeded take several constructor arguments, which default exception
    # pickling loses; send class, message and attributes instead
    return type(exc).__name__, str(exc), dict(vars(exc))


def thaw(frozen: tuple[str, str, dict[str, Any]]) -> PuenteError:
    from puente import errors

    name, message, attrs = frozen
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, PuenteError)):
        return EvidenceError(message)
    exc = cls.__new__(cls)
    exc.args = (message,)
    exc.__dict__.update(attrs)
    return exc


class IsolatedHasher:
    """One worker process, restarted after a crash or a timeout. Not thread-safe."""

    def __init__(self, *, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.restarts = 0
        self._ctx = mp.get_context("spawn")  # no inherited state (threads, open files)
        self._proc: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> IsolatedHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        # A spawned child re-runs the parent's main script unless it has a __main__ guard
        # (or is stdin); the decoder needs nothing from it. Hide the script's path while
        # the child starts, so that any caller (bench scripts, notebooks) is safe.
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None)
        hide = main is not None and script is not None and getattr(main, "__spec__", None) is None
        if hide:
            del main.__file__  # type: ignore[union-attr]
        try:
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(target=_worker, args=(child,), daemon=True)
            self._proc.start()
            child.close()
            self._conn = parent
        finally:
            if hide:
                main.__file__ = script  # type: ignore[union-attr]

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except OSError:
                pass
        self._kill()

    def run(self, kind: str, source: Source, *, where: str | None = None, **kwargs: Any) -> Any:
        """Run task ``kind`` ("pdq", "vpdq") on a path or on bytes in the worker.

        ``where`` names the file in errors (default: the path). Raises the task's own
        PuenteError, LimitExceeded on a timeout, DecoderCrashed when the worker died; in
        both of the last cases the worker is restarted for the next call.
        """
        if isinstance(source, bytes):
            payload: str | bytes = source
            where = where or "<bytes>"
        else:
            payload = os.fspath(source)
            where = where or payload
        if self._proc is None or not self._proc.is_alive():
            self._start()
        assert self._conn is not None
        try:
            self._conn.send((kind, payload, where, kwargs))
            ready = self._conn.poll(self.timeout)
        except (BrokenPipeError, EOFError, OSError):
            ready = True  # the worker died while taking the task: its exit code says why
        if not ready:
            self._kill()
            self.restarts += 1
            raise LimitExceeded(where, "decode_timeout", f"no result after {self.timeout:g} s")
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            self._proc.join(5)
            code = self._proc.exitcode
            self._kill()
            self.restarts += 1
            cause = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise DecoderCrashed(where, cause) from None
        if status == "error":
            raise thaw(value)
        return value

    def hash_image(
        self, source: Source, *, policy: HashPolicy | None = None, where: str | None = None
    ) -> PdqResult:
        """PDQ of an image file or of its bytes (``where`` names it in errors)."""
        if not isinstance(source, bytes):
            where = where or os.fspath(source)
        result: PdqResult = self.run("pdq", source, where=where, policy=policy, name=where)
        return result

    def hash_video(self, path: str | os.PathLike[str], **kwargs: Any) -> VpdqResult:
        result: VpdqResult = self.run("vpdq", path, **kwargs)
        return result
