"""Generic CSV with a header (comma, semicolon or tab).

Either ``algorithm,value`` columns, or one column per algorithm (md5, sha1, sha256, pdq,
vpdq, photodna; each non-empty cell is an entry). A vPDQ value (Meta's lines joined with
``;``) contains commas and is quoted by the writer. Optional: category, source_scheme,
source_category, source_id, confirmations, first_seen, comment, metadata (JSON object).
A non-empty ``category`` is taken as Puente's normalised category; otherwise the source
category is mapped through its scheme (default scheme: puente).
"""

from __future__ import annotations

import csv as _csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from puente.errors import FormatError, InputError
from puente.hashing.registry import ALGORITHMS, get_algorithm
from puente.hashsets.formats.base import (
    MAX_LINE,
    Format,
    Item,
    ReadOptions,
    check_not_empty,
    iter_lines,
    long_or_undecodable,
)
from puente.hashsets.model import CATEGORIES, Entry, HashSetInfo, Row, RowError

NAME = "csv"
COLUMNS = (
    "algorithm",
    "value",
    "category",
    "source_scheme",
    "source_category",
    "source_id",
    "confirmations",
    "first_seen",
    "comment",
    "metadata",
)
_ALIASES = {"hash": "value", "scheme": "source_scheme", "id": "source_id"}


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _columns(header: str) -> tuple[str, list[str]]:
    delim = _delimiter(header)
    names = next(_csv.reader([header], delimiter=delim))
    cols = [_ALIASES.get(n.strip().lower(), n.strip().lower()) for n in names]
    return delim, cols


def looks_like(head: bytes) -> bool:
    try:
        first = head.splitlines()[0].decode("utf-8")
    except (IndexError, UnicodeDecodeError):
        return False
    _, cols = _columns(first)
    return ("value" in cols) or any(c in ALGORITHMS for c in cols)


def _opt(row: dict[str, str], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def read(path: Path, options: ReadOptions) -> Iterator[Item]:
    check_not_empty(path)
    source = str(path)
    lines = iter_lines(path, progress=options.progress)
    header: str | None = None
    for number, text, length in lines:
        if text is None:
            raise FormatError(source, long_or_undecodable(source, number, length).reason, number)
        if text.strip():
            header = text
            header_line = number
            break
    if header is None:
        raise FormatError(source, "no header line (file has only blank lines)")
    if header.lstrip().startswith(("{", "[")):
        raise FormatError(source, "looks like JSON, not CSV (--format vics?)", header_line)
    delim, cols = _columns(header)
    hash_cols = [c for c in cols if c in ALGORITHMS]
    pairwise = "value" in cols
    if not pairwise and not hash_cols:
        raise FormatError(
            source,
            "CSV header has no hash column (expected 'algorithm,value' or one of "
            f"{', '.join(sorted(ALGORITHMS))}); header is {header[:200]!r}",
            header_line,
        )
    if options.category not in CATEGORIES:
        raise FormatError(source, f"unknown category {options.category!r}")
    pending: str | None = None  # a record whose quoted field spans lines
    start = 0
    for number, text, length in lines:
        if text is None:
            if pending is not None:
                yield RowError(source, start, "unterminated quoted field")
                pending = None
            yield long_or_undecodable(source, number, length)
            continue
        if pending is not None:
            text = pending + "\n" + text
            pending = None
        else:
            start = number
            if not text.strip():
                continue
        if text.count('"') % 2:  # a quoted field continues on the next line
            if len(text) > MAX_LINE:
                yield RowError(source, start, "unterminated quoted field")
            else:
                pending = text
            continue
        number = start
        try:
            cells = next(_csv.reader([text], delimiter=delim))
        except _csv.Error as exc:
            yield RowError(source, number, f"CSV error: {exc}")
            continue
        if len(cells) > len(cols):
            yield RowError(source, number, f"{len(cells)} fields, header has {len(cols)}")
            continue
        row = dict(zip(cols, cells, strict=False))
        try:
            entries = tuple(_entries(row, pairwise, hash_cols, options))
        except (InputError, ValueError) as exc:
            yield RowError(source, number, str(exc))
            continue
        if not entries:
            yield RowError(source, number, "row has no hash value")
            continue
        yield Row(number, entries)
    if pending is not None:
        yield RowError(source, start, "unterminated quoted field at the end of the file")


def _entries(
    row: dict[str, str], pairwise: bool, hash_cols: list[str], options: ReadOptions
) -> Iterator[Entry]:
    scheme = _opt(row, "source_scheme") or options.scheme or "puente"
    source_category = _opt(row, "source_category")
    category = _opt(row, "category")
    if category is not None:
        if category not in CATEGORIES:
            raise InputError(f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
    elif source_category is not None:
        category = options.categories.map(scheme, source_category)
    else:
        category = options.category
    confirmations_text = _opt(row, "confirmations")
    confirmations = int(confirmations_text) if confirmations_text is not None else None
    meta_text = _opt(row, "metadata")
    metadata: dict[str, Any] = {}
    if meta_text is not None:
        loaded = json.loads(meta_text)
        if not isinstance(loaded, dict):
            raise InputError("metadata must be a JSON object")
        metadata = loaded
    common: dict[str, Any] = {
        "category": category,
        "source_scheme": scheme,
        "source_category": source_category,
        "source_id": _opt(row, "source_id"),
        "confirmations": confirmations,
        "first_seen": _opt(row, "first_seen"),
        "comment": _opt(row, "comment"),
    }
    if metadata:
        common["metadata"] = metadata
    if pairwise:
        raw = _opt(row, "value")
        if raw is not None:
            algo_name = _opt(row, "algorithm")
            if algo_name is None:
                raise InputError("algorithm is empty")
            algo = get_algorithm(algo_name)
            yield Entry(algo.name, algo.normalise(raw), **common)
    for col in hash_cols:
        raw = _opt(row, col)
        if raw is not None:
            algo = get_algorithm(col)
            yield Entry(algo.name, algo.normalise(raw), **common)


def write(out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int:
    writer = _csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for e in entries:
        meta = (
            json.dumps(dict(e.metadata), ensure_ascii=False, sort_keys=True) if e.metadata else ""
        )
        writer.writerow(
            [
                e.algorithm,
                e.value,
                e.category,
                e.source_scheme,
                e.source_category or "",
                e.source_id or "",
                "" if e.confirmations is None else e.confirmations,
                e.first_seen or "",
                _newlines(e.comment or ""),
                meta,
            ]
        )
        count += 1
    return count


def _newlines(text: str) -> str:
    """Line breaks inside a field as \\n: a lone \\r would not survive a line-based reader."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


FORMAT = Format(NAME, "CSV with a header (algorithm,value,category,…)", read, write, ".csv")
