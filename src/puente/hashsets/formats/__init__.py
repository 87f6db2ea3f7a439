"""Hash-set formats by name (storage keys, declared once) and auto-detection."""

from __future__ import annotations

from pathlib import Path

from puente.errors import FormatError, UnknownFormat
from puente.hashsets.formats import csv, icse, nsrl, text, vics
from puente.hashsets.formats.base import Format, Item, ReadOptions, first_bytes

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (vics.FORMAT_V1, vics.FORMAT_V2, icse.FORMAT, nsrl.FORMAT, text.FORMAT, csv.FORMAT)
}
READABLE = ("auto", *FORMATS)
WRITABLE = tuple(name for name, f in FORMATS.items() if f.write is not None)

__all__ = [
    "FORMATS",
    "READABLE",
    "WRITABLE",
    "Format",
    "Item",
    "ReadOptions",
    "detect",
    "get_format",
]


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(
            f"unknown hash-set format {name!r} (known: {', '.join(FORMATS)})"
        ) from None


def detect(path: Path) -> str:
    """The format of ``path`` from its first bytes; UnknownFormat saying what was seen."""
    try:
        head = first_bytes(path)
    except OSError as exc:
        raise FormatError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    if not head:
        raise FormatError(str(path), "file is empty (0 bytes)")
    if nsrl.looks_like(head):
        return "nsrl"
    stripped = head.lstrip()
    if stripped.startswith((b"{", b"[")):
        dialect = vics.sniff(head)
        if dialect is not None:
            return dialect.format_name
        if vics.looks_like(head):
            return "vics"  # the reader names the exact problem with the header
        raise UnknownFormat(
            f"{path}: JSON without a VICS header ('odata.metadata' or '@odata.context'); "
            "cannot detect the format"
        )
    if icse.looks_like(head):
        return "icse"
    if text.looks_like(head):
        return "text"
    if csv.looks_like(head):
        return "csv"
    first = head.splitlines()[0][:80] if head.strip() else b""
    raise UnknownFormat(
        f"{path}: cannot detect the hash-set format (first line {first!r}); "
        f"give --format ({', '.join(FORMATS)})"
    )
