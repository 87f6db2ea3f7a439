"""What every hash-set format shares: read options, line reading with limits, safe writing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from puente.errors import FormatError
from puente.hashsets.categories import CategoryMap, default_category_map
from puente.hashsets.model import UNCATEGORISED, Entry, HashSetInfo, Row, RowError

# Longest line read as a whole; a longer one is reported and skipped without holding it.
MAX_LINE = 64 * 1024
BOM = b"\xef\xbb\xbf"


class Progress:
    """How far a reader is through its input (bytes, or rows for a database); updated in place."""

    __slots__ = ("done", "total")

    def __init__(self, total: int = 0) -> None:
        self.done = 0
        self.total = total


@dataclass(frozen=True)
class ReadOptions:
    categories: CategoryMap = field(default_factory=default_category_map)
    scheme: str | None = None  # override the format's own scheme (e.g. vics_legacy)
    category: str = UNCATEGORISED  # for formats that carry none (text)
    algorithm: str | None = None  # for text: force an algorithm (e.g. pdq for 64-hex lines)
    progress: Progress | None = field(default=None, compare=False)


Item = Row | RowError


class Reader(Protocol):
    def __call__(self, path: Path, options: ReadOptions) -> Iterator[Item]: ...


class Writer(Protocol):
    def __call__(self, out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int: ...


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    read: Reader
    write: Writer | None = None
    extension: str = ".txt"


def check_not_empty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise FormatError(str(path), "file is empty (0 bytes)")


def iter_lines(
    path: Path, max_line: int = MAX_LINE, progress: Progress | None = None
) -> Iterator[tuple[int, str | None, int]]:
    """(line number, text or None when too long / not UTF-8, raw length) for every line.

    The first line's UTF-8 byte-order mark is removed. A line longer than ``max_line`` bytes
    is consumed in chunks and never held whole, so a 1 GB line costs no memory.
    """
    with path.open("rb") as fh:
        number = 0
        while True:
            raw = fh.readline(max_line + 1)
            if not raw:
                if progress is not None:
                    progress.done = fh.tell()
                return
            number += 1
            if number == 1 and raw.startswith(BOM):
                raw = raw[3:]
            length = len(raw)
            if progress is not None and not number & 1023:
                progress.done = fh.tell()
            if length > max_line and not raw.endswith(b"\n"):
                while True:
                    more = fh.readline(1 << 20)
                    length += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                yield number, None, length
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None, -1
                continue
            yield number, text.rstrip("\r\n"), length


def long_or_undecodable(source: str, number: int, length: int) -> RowError:
    if length < 0:
        return RowError(source, number, "line is not valid UTF-8")
    return RowError(source, number, f"line too long ({length} bytes; at most {MAX_LINE} read)")


def first_bytes(path: Path, n: int = 4096) -> bytes:
    with path.open("rb") as fh:
        head = fh.read(n)
    return head[3:] if head.startswith(BOM) else head


@contextmanager
def atomic_text_writer(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path`` and rename on success: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def flag(value: object) -> bool | None:
    """A VICS/ICSE boolean: JSON true/false, "true"/"false" strings, 1/0, yes/no; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


EntryFactory = Callable[..., Entry]
