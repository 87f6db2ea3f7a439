"""7z members hashed in memory through py7zr's writer interface (imported only for 7z).

py7zr pushes each member's bytes into writers it gets from a factory; these writers keep
the bytes in memory (bounded by the archive limits, checked as bytes arrive) and hand each
finished member to the ArchiveReader, so nothing is ever written to disk.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import py7zr.io

from puente.ingest.archives import RATIO_FLOOR, ArchiveReader, LimitHit, SevenMember, _run
from puente.ingest.model import MEMBER_SEPARATOR, Item


def entry_time(entry: Any) -> float | None:
    try:
        stamp = entry.lastwritetime
        return None if stamp is None else float(stamp.totimestamp())
    except (AttributeError, ValueError, OverflowError, TypeError):
        return None


class SinkFactory(py7zr.io.WriterFactory):
    """py7zr pushes member bytes into these writers; we hash them in memory."""

    def __init__(
        self,
        reader: ArchiveReader,
        path: str,
        depth: int,
        size: int,
        members: dict[str, SevenMember],
    ) -> None:
        self.reader = reader
        self.path = path
        self.depth = depth
        self.size = size
        self.members = members
        self.pending: list[Item] = []
        self.done: set[str] = set()
        self.produced = 0
        self.hit: tuple[str, str] | None = None

    def create(self, filename: str) -> _Sink:
        return _Sink(self, filename)

    def finish(self, filename: str, data: bytes) -> None:
        member = self.members.get(filename)
        if member is None:  # a name py7zr made up (duplicates): report it as it came
            member = SevenMember(
                filename, f"{self.path}{MEMBER_SEPARATOR}{filename}", None, None, None
            )
        stream = io.BytesIO(data)
        gen = self.reader.member(
            member.path,
            self.path,
            self.depth + 1,
            stream.read,
            declared=member.size,
            compressed=None,
            mtime=member.mtime,
            note=member.note,
        )
        self.pending.extend(_run(gen))
        self.done.add(filename)
        if self.reader.budget.exhausted_at is not None:
            raise LimitHit(self.reader.budget.exhausted_problem()[1], stop=True)

    def account(self, n: int, filename: str, member_size: int) -> None:
        self.produced += n
        limits = self.reader.limits
        ratio = self.produced / max(self.size, 1)
        if self.produced > RATIO_FLOOR and ratio > limits.max_ratio:
            self.fail(
                filename,
                f"max_ratio {limits.max_ratio:g} exceeded (ratio {ratio:.1f} "
                "of the whole 7z archive)",
            )
        if member_size > limits.max_member_size:
            self.fail(
                filename,
                f"max_member_size {limits.max_member_size} exceeded "
                "(read more than the declared size)",
            )

    def fail(self, filename: str, detail: str) -> None:
        self.hit = (filename, detail)
        member = self.members.get(filename)
        where = member.path if member else f"{self.path}{MEMBER_SEPARATOR}{filename}"
        raise LimitHit(f"{detail} at {where}", stop=True)

    def drain(self) -> Iterator[Item]:
        items, self.pending = self.pending, []
        yield from items


class _Sink(py7zr.io.Py7zIO):
    def __init__(self, factory: SinkFactory, filename: str) -> None:
        self.factory = factory
        self.filename = filename
        self.buffer = bytearray()

    def write(self, s: bytes | bytearray) -> int:
        self.factory.account(len(s), self.filename, len(self.buffer) + len(s))
        self.buffer += s
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return len(self.buffer)

    def close(self) -> None:
        if self.filename not in self.factory.done:
            data, self.buffer = bytes(self.buffer), bytearray()
            self.factory.finish(self.filename, data)
