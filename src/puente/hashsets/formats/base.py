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
from puente.hashsets.model import UNCATEGORISED, Bulk, Entry, HashSetInfo, Row, RowError

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
    # Readers that can may yield Bulk items (many rows of one shape) besides Row/RowError.
    bulk: bool = False


Item = Row | RowError | Bulk


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


BLOCK = 1 << 20


def iter_blocks(
    path: Path, block: int = BLOCK, progress: Progress | None = None
) -> Iterator[tuple[int, bytes | int]]:
    """(number of the first line, whole lines) for the file in blocks of about ``block`` bytes.

    The first line's UTF-8 byte-order mark is removed; the last line may lack its newline. A
    line longer than ``block`` is consumed without being held and given as its length (an int).
    """
    with path.open("rb") as fh:
        number = 1
        carry = b""
        first = True
        while True:
            data = fh.read(block)
            if progress is not None:
                progress.done = fh.tell()
            if first:
                first = False
                if data.startswith(BOM):
                    data = data[len(BOM) :]
            if not data:
                if carry:
                    yield number, carry
                return
            data = carry + data if carry else data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) <= block:
                    carry = data  # a line longer than one read, shorter than a block
                    continue
                # One line longer than a block: count it, never hold it.
                length = len(data)
                while True:
                    more = fh.read(block)
                    end = more.find(b"\n")
                    if end >= 0 or not more:
                        length += end + 1 if end >= 0 else 0
                        carry = more[end + 1 :] if end >= 0 else b""
                        break
                    length += len(more)
                if progress is not None:
                    progress.done = fh.tell()
                yield number, length
                number += 1
                continue
            carry = data[cut:]
            yield number, data[:cut]
            number += data.count(b"\n", 0, cut)


def block_lines(
    number: int, data: bytes, max_line: int = MAX_LINE
) -> Iterator[tuple[int, str | None, int]]:
    """The lines of one block as iter_lines gives them, numbered from ``number``."""
    lines = data.split(b"\n")
    last = len(lines) - 1
    if data.endswith(b"\n"):
        lines.pop()  # nothing after the last newline
        last = -1
    for offset, raw in enumerate(lines):
        if len(raw) > max_line:
            yield number + offset, None, len(raw) + (offset != last)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number + offset, None, -1
            continue
        yield number + offset, text.rstrip("\r"), len(raw) + (offset != last)


def iter_lines(
    path: Path, max_line: int = MAX_LINE, progress: Progress | None = None
) -> Iterator[tuple[int, str | None, int]]:
    """(line number, text or None when too long / not UTF-8, raw length) for every line.

    The first line's UTF-8 byte-order mark is removed. A line longer than ``max_line`` bytes
    is reported (text None) and a very long one is never held whole, so a 1 GB line costs
    no memory.
    """
    for number, data in iter_blocks(path, progress=progress):
        if isinstance(data, int):
            yield number, None, data
        else:
            yield from block_lines(number, data, max_line)


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
