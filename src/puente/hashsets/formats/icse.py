"""INTERPOL ICSE CSV export (``;``-delimited), header as IPED expects it (formats-ecosystem §1.5):

MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;
Series name;Number of submissions;File Available;Media Type;Baseline

One row gives up to three entries (MD5, SHA1, PhotoDNA) sharing the Image ID. The Baseline
flag is the source category of scheme "icse" (baseline / non_baseline).
"""

from __future__ import annotations

import csv as _csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from puente.errors import FormatError, InputError
from puente.hashing.registry import get_algorithm
from puente.hashsets.formats.base import (
    Format,
    Item,
    ReadOptions,
    check_not_empty,
    flag,
    iter_lines,
    long_or_undecodable,
)
from puente.hashsets.model import Entry, HashSetInfo, Row, RowError

NAME = "icse"
HEADER = (
    "MD5",
    "SHA1",
    "PhotoDNA",
    "Image ID",
    "Is distributed",
    "Victim identified",
    "Offender identified",
    "Series name",
    "Number of submissions",
    "File Available",
    "Media Type",
    "Baseline",
)
DELIMITER = ";"
HASH_COLUMNS = {"MD5": "md5", "SHA1": "sha1", "PhotoDNA": "photodna"}
FLAG_COLUMNS = ("Is distributed", "Victim identified", "Offender identified", "File Available")
TEXT_COLUMNS = ("Series name", "Media Type")
REQUIRED = ("MD5", "Image ID", "Baseline")
_KEY = {h.lower(): h for h in HEADER}


def looks_like(head: bytes) -> bool:
    first = head.splitlines()[0] if head else b""
    return first.count(b";") >= 3 and b"image id" in first.lower() and b"md5" in first.lower()


def read(path: Path, options: ReadOptions) -> Iterator[Item]:
    check_not_empty(path)
    source = str(path)
    scheme = options.categories.scheme(options.scheme or "icse")
    lines = iter_lines(path, progress=options.progress)
    header: list[str] | None = None
    for number, text, length in lines:
        if text is None:
            raise FormatError(source, long_or_undecodable(source, number, length).reason, number)
        if text.strip():
            names = next(_csv.reader([text], delimiter=DELIMITER))
            header = [_KEY.get(n.strip().lower(), n.strip()) for n in names]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise FormatError(
                    source,
                    f"not an ICSE CSV header: missing {', '.join(missing)} "
                    f"(expected {';'.join(HEADER)})",
                    number,
                )
            break
    if header is None:
        raise FormatError(source, "no header line")
    for number, text, length in lines:
        if text is None:
            yield long_or_undecodable(source, number, length)
            continue
        if not text.strip():
            continue
        try:
            cells = next(_csv.reader([text], delimiter=DELIMITER))
            if len(cells) != len(header):
                raise InputError(f"{len(cells)} fields, header has {len(header)}")
            row = dict(zip(header, (c.strip() for c in cells), strict=True))
            yield Row(number, _entries(row, scheme))
        except (InputError, ValueError, _csv.Error) as exc:
            yield RowError(source, number, str(exc))


def _entries(row: dict[str, str], scheme: Any) -> tuple[Entry, ...]:
    baseline = flag(row["Baseline"])
    source_category = None if baseline is None else ("baseline" if baseline else "non_baseline")
    category = scheme.map(source_category)
    meta: dict[str, Any] = {}
    for col in FLAG_COLUMNS:
        if col in row:
            try:
                given = flag(row[col])
            except ValueError as exc:
                raise InputError(f"{col}: {exc}") from None
            if given is not None:
                meta[col] = given
    for col in TEXT_COLUMNS:
        if row.get(col):
            meta[col] = row[col]
    subs = row.get("Number of submissions")
    confirmations = int(subs) if subs else None
    image_id = row["Image ID"] or None
    entries = []
    for col, algo_name in HASH_COLUMNS.items():
        raw = row.get(col)
        if not raw:
            continue
        try:
            value = get_algorithm(algo_name).normalise(raw)
        except InputError as exc:
            raise InputError(f"{col}: {exc}") from None
        entries.append(
            Entry(
                algo_name,
                value,
                category,
                scheme.name,
                source_category,
                image_id,
                confirmations,
                metadata=meta,
            )
        )
    if not entries:
        raise InputError("row has no hash (MD5, SHA1, PhotoDNA)")
    return tuple(entries)


def _flag_text(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def write(out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int:
    from puente.hashsets.formats.vics import group_media

    writer = _csv.writer(out, delimiter=DELIMITER, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    next_id = 1
    for group in group_media(entries):
        first = group[0]
        row = dict.fromkeys(HEADER, "")
        for e in group:
            col = {"md5": "MD5", "sha1": "SHA1", "photodna": "PhotoDNA"}.get(e.algorithm)
            if col is None:
                continue  # ICSE CSV has no column for it
            row[col] = e.value.upper() if col != "PhotoDNA" else e.value
            count += 1
        if not any(row[c] for c in HASH_COLUMNS):
            continue
        row["Image ID"] = first.source_id or str(next_id)
        next_id += 1
        meta = first.metadata
        for col in FLAG_COLUMNS:
            row[col] = _flag_text(meta.get(col))
        for col in TEXT_COLUMNS:
            row[col] = str(meta.get(col) or "")
        row["Number of submissions"] = (
            "" if first.confirmations is None else str(first.confirmations)
        )
        if first.source_scheme == "icse":
            row["Baseline"] = {"baseline": "true", "non_baseline": "false"}.get(
                first.source_category or "", ""
            )
        writer.writerow([row[c] for c in HEADER])
    return count


FORMAT = Format(NAME, "INTERPOL ICSE CSV export (;-delimited)", read, write, ".csv")
