"""NIST NSRL RDSv3 (SQLite), read only: every FILE hash becomes a known_good entry.

The database is opened read-only and immutable (it is reference data, never modified).
The minimal flavour has a FILE table; the full flavour a FILE view over METADATA — both
are read the same way. Duplicate hashes across FILE rows are removed by the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from puente.errors import FormatError, InputError
from puente.hashing.registry import get_algorithm
from puente.hashsets.formats.base import Format, Item, ReadOptions, check_not_empty
from puente.hashsets.model import Entry, Row, RowError

NAME = "nsrl"
MAGIC = b"SQLite format 3\x00"
COLUMNS = ("sha256", "sha1", "md5")


def looks_like(head: bytes) -> bool:
    return head.startswith(MAGIC)


def read(path: Path, options: ReadOptions) -> Iterator[Item]:
    check_not_empty(path)
    source = str(path)
    with path.open("rb") as fh:
        magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise FormatError(source, "not an SQLite database (NSRL RDSv3 is published as SQLite)")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise FormatError(source, f"cannot open as SQLite: {exc}") from exc
    try:
        try:
            cols = {r[1].lower() for r in conn.execute("PRAGMA table_info(FILE)")}
        except sqlite3.DatabaseError as exc:
            raise FormatError(source, f"damaged SQLite database: {exc}") from exc
        missing = [c for c in COLUMNS if c not in cols]
        if not cols or missing:
            what = "no FILE table" if not cols else f"FILE lacks {', '.join(missing)}"
            raise FormatError(source, f"not an NSRL RDSv3 database: {what}")
        scheme = options.categories.scheme(options.scheme or "nsrl")
        category = scheme.map("known")
        algos = [get_algorithm(c) for c in COLUMNS]
        progress = options.progress
        if progress is not None:
            progress.total = _estimate_rows(conn)
        extra = "package_id" if "package_id" in cols else "NULL"
        # Rows are numbered in reading order: in the full flavour FILE is a view (no rowid).
        cur = conn.execute(f"SELECT sha256, sha1, md5, {extra} FROM FILE")
        line = 0
        try:
            while True:
                rows = cur.fetchmany(10_000)
                if not rows:
                    break
                if progress is not None:
                    progress.done = line + len(rows)
                for *values, package in rows:
                    line += 1
                    try:
                        entries = tuple(
                            Entry(
                                a.name,
                                a.normalise(str(v)),
                                category,
                                scheme.name,
                                "known",
                                None if package is None else str(package),
                            )
                            for a, v in zip(algos, values, strict=True)
                            if v
                        )
                    except InputError as exc:
                        yield RowError(source, line, f"FILE row {line}: {exc}")
                        continue
                    yield Row(line, entries)
        except sqlite3.DatabaseError as exc:
            raise FormatError(source, f"damaged SQLite database while reading FILE: {exc}") from exc
    finally:
        conn.close()


FORMAT = Format(NAME, "NIST NSRL RDSv3 SQLite database (read only)", read, None, ".db")


def _estimate_rows(conn: sqlite3.Connection) -> int:
    """Rows to expect, for the progress bar: max(rowid) of FILE, or of METADATA (full flavour)."""
    for table in ("FILE", "METADATA"):
        try:
            found = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
        except sqlite3.Error:
            continue
        if found:
            return int(found)
    return 0
