"""MD5, SHA-1 and SHA-256 of a byte stream in one read pass.

Evidence is read exactly once: every chunk feeds all three digests, so a file that
changes under us can never yield digests of different contents.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["Digests", "Hasher", "hash_bytes", "hash_file", "hash_stream", "open_readonly"]

CHUNK_SIZE = 1 << 20

# O_NOATIME keeps the access time of evidence unchanged; Linux allows it only to the
# file's owner (or CAP_FOWNER), otherwise open() fails with EPERM and we fall back.
_O_NOATIME: int = getattr(os, "O_NOATIME", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Digests:
    """Lowercase hex digests of one byte sequence."""

    md5: str
    sha1: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}


class Hasher:
    """Incremental MD5+SHA-1+SHA-256 for data that arrives in pieces (archive members)."""

    __slots__ = ("_md5", "_sha1", "_sha256", "size")

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._md5.update(data)
        self._sha1.update(data)
        self._sha256.update(data)
        self.size += len(data)

    def digests(self) -> Digests:
        return Digests(self._md5.hexdigest(), self._sha1.hexdigest(), self._sha256.hexdigest())

    def hexdigests(self) -> tuple[str, str, str]:
        """(md5, sha1, sha256) as lowercase hex, without building a Digests."""
        return self._md5.hexdigest(), self._sha1.hexdigest(), self._sha256.hexdigest()


def hash_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[Digests, int]:
    """Read ``stream`` to its end once; return its digests and the number of bytes read."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    sha256 = hashlib.sha256()
    total = 0
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        # One reused buffer: no per-chunk allocation on multi-GB evidence.
        buffer = bytearray(chunk_size)
        view = memoryview(buffer)
        while True:
            n = readinto(view)
            if not n:
                break
            chunk = view[:n]
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
            total += n
    else:
        while True:
            data = stream.read(chunk_size)
            if not data:
                break
            md5.update(data)
            sha1.update(data)
            sha256.update(data)
            total += len(data)
    return Digests(md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest()), total


def hash_bytes(data: bytes) -> Digests:
    """Digests of an in-memory byte string (archive members already read)."""
    return Digests(
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def open_readonly(path: Path | str | bytes, extra_flags: int = 0) -> int:
    """Open ``path`` read-only, without updating its access time where the OS permits.

    Returns a raw file descriptor. ``extra_flags`` lets the scanner add O_NOFOLLOW and
    O_NONBLOCK (so a file swapped for a FIFO after the walk can never block a read).
    """
    flags = os.O_RDONLY | _O_BINARY | getattr(os, "O_CLOEXEC", 0) | extra_flags
    if _O_NOATIME:
        try:
            return os.open(path, flags | _O_NOATIME)
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
    return os.open(path, flags)


def hash_file(path: Path) -> tuple[Digests, int]:
    """Digests and size in bytes of the file at ``path``, read once, read-only."""
    fd = open_readonly(path)
    with os.fdopen(fd, "rb", buffering=0) as stream:
        return hash_stream(stream)
