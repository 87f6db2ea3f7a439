"""Cases, evidence items, custody entries and scan records: plain frozen values.

The network's countries are fixed (12 Latin American countries + Spain); a case belongs to
an agency of one of them. Hash values are stored lowercase hex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from puente.errors import InputError, InvalidHash, UnknownCountry
from puente.network import COUNTRIES as NETWORK_COUNTRIES

# The custody actions Puente records; details carry what was done (ids, digests, files).
ACTIONS = (
    "case_created",
    "evidence_registered",
    "scan_started",
    "scan_resumed",
    "scan_finished",
    "export",
    "report_generated",
    "checklist",
)

SCAN_STATUSES = ("running", "finished", "interrupted")
ITEM_STATUSES = ("ok", "error", "limit_exceeded", "encrypted", "skipped_special")

_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"^[0-9a-f]+$")


def check_country(code: str) -> str:
    value = code.strip().upper()
    if value not in NETWORK_COUNTRIES:
        raise UnknownCountry(
            f"unknown country {code!r}: use one of {', '.join(NETWORK_COUNTRIES)} (ISO alpha-2)"
        )
    return value


def check_text(name: str, value: str, *, max_length: int = 500) -> str:
    text = value.strip()
    if not text:
        raise InputError(f"{name} must not be empty")
    if len(text) > max_length:
        raise InputError(f"{name} is longer than {max_length} characters")
    return text


def parse_source_hash(text: str) -> str:
    """``sha256:<hex>`` (or md5:/sha1:) as given at acquisition, normalised to lowercase."""
    algorithm, sep, value = text.strip().partition(":")
    algorithm = algorithm.lower()
    value = value.strip().lower()
    if not sep or algorithm not in _HEX_LENGTHS:
        raise InvalidHash(
            f"source hash {text!r}: write it as ALGORITHM:HEX with ALGORITHM one of "
            f"{', '.join(_HEX_LENGTHS)} (e.g. sha256:9f86…)"
        )
    if len(value) != _HEX_LENGTHS[algorithm] or not _HEX.match(value):
        raise InvalidHash(
            f"source hash {text!r}: {algorithm} needs {_HEX_LENGTHS[algorithm]} hex digits"
        )
    return f"{algorithm}:{value}"


def utc(at: datetime) -> datetime:
    """Naive datetimes from the database are UTC; make every value timezone-aware UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Case:
    id: int
    title: str
    country: str
    agency: str
    reference: str | None
    created_at: datetime


@dataclass(frozen=True)
class EvidenceItem:
    id: int
    case_id: int
    path: str
    description: str
    acquired_by: str | None
    acquired_at: datetime | None
    source_hash: str | None
    registered_at: datetime


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    case_id: int
    at: datetime
    operator: str
    action: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class HashSetUsed:
    """A hash set a scan matched against, as recorded for reproducibility."""

    name: str
    version: str
    owner: str | None = None
    provenance: str | None = None


@dataclass(frozen=True)
class Scan:
    id: int
    case_id: int
    evidence_id: int
    status: str
    settings_digest: str
    started_at: datetime
    finished_at: datetime | None
    hashsets: tuple[HashSetUsed, ...]
    puente_version: str


@dataclass(frozen=True)
class ScanMatch:
    algorithm: str
    value: str
    set_name: str
    set_version: str
    category: str
    source_category: str
    # Perceptual matches (algorithm "pdq"/"vpdq"); None for exact (byte-identical) ones.
    distance: int | None = None  # Hamming distance to the entry (PDQ)
    quality: int | None = None  # quality of the scanned image's hash (PDQ)
    variant: str | None = None  # dihedral variant that matched, e.g. "rotate90" (PDQ)
    detail: str | None = None  # e.g. vPDQ: % of matching unique frames, query / entry

    @property
    def perceptual(self) -> bool:
        return self.algorithm in ("pdq", "vpdq")


@dataclass(frozen=True)
class ScanItem:
    """One stored scan result: what ingest saw at a path, and what it matched."""

    scan_id: int
    path: str
    size: int | None
    mtime: float | None
    atime: float | None
    ctime: float | None
    kind: str
    md5: str | None
    sha1: str | None
    sha256: str | None
    status: str
    detail: str | None
    depth: int
    container: str | None
    matches: tuple[ScanMatch, ...] = field(default=())
    pdq: str | None = None  # PDQ hash (64 hex) of an image, as stored in the file
    pdq_quality: int | None = None  # 0..100; below Settings.pdq_min_quality not matched
    pdq_decode_mode: str | None = None  # "full" | "jpeg-draft-1/N"
    pdq_dihedral: str | None = None  # the 8 dihedral hashes, comma-separated, Meta's order
    vpdq: str | None = None  # vPDQ features of a video, Meta's format, one frame per line

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({m.category for m in self.matches}))
