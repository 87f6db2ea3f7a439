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
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from puente.errors import EvidenceError, LimitExceeded, PuenteError
from puente.hashing.pdq import HashPolicy, PdqResult
from puente.hashing.vpdq import VpdqResult


def _task(kind: str, path: str, kwargs: dict[str, Any]) -> Any:
    if kind == "pdq":
        from puente.hashing.pdq import hash_image

        return hash_image(path, **kwargs)
    if kind == "vpdq":
        from puente.hashing.vpdq import hash_video

        return hash_video(path, **kwargs)
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
        kind, path, kwargs = msg
        try:
            conn.send(("ok", _task(kind, path, kwargs)))
        except PuenteError as exc:
            conn.send(("error", _freeze(exc)))
        except Exception as exc:  # a decoder bug: report it, keep the worker
            conn.send(("error", _freeze(EvidenceError(f"{path}: {type(exc).__name__}: {exc}"))))


def _freeze(exc: PuenteError) -> tuple[str, str, dict[str, Any]]:
    # FormatError/LimitExceeded take several constructor arguments, which default exception
    # pickling loses; send class, message and attributes instead
    return type(exc).__name__, str(exc), dict(vars(exc))


def _thaw(frozen: tuple[str, str, dict[str, Any]]) -> PuenteError:
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
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_worker, args=(child,), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

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

    def run(self, kind: str, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        where = os.fspath(path)
        if self._proc is None or not self._proc.is_alive():
            self._start()
        assert self._conn is not None
        self._conn.send((kind, where, kwargs))
        if not self._conn.poll(self.timeout):
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
            raise EvidenceError(
                f"{where}: decoder process crashed ({cause}); worker restarted"
            ) from None
        if status == "error":
            raise _thaw(value)
        return value

    def hash_image(
        self, path: str | os.PathLike[str], *, policy: HashPolicy | None = None
    ) -> PdqResult:
        result: PdqResult = self.run("pdq", Path(path), policy=policy, name=os.fspath(path))
        return result

    def hash_video(self, path: str | os.PathLike[str], **kwargs: Any) -> VpdqResult:
        result: VpdqResult = self.run("vpdq", Path(path), **kwargs)
        return result
