"""Domain values of the hash-set library: a set's description and its entries.

An entry keeps the source's own category and scheme (``source_scheme``/``source_category``)
next to Puente's normalised ``category`` so that nothing the curator sent is lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Normalised categories (storage keys, declared once).
CSAM = "csam"
EXPLOITIVE = "exploitive"
CGI = "cgi"
COMPARISON = "comparison"
NON_PERTINENT = "non_pertinent"
KNOWN_GOOD = "known_good"
UNCATEGORISED = "uncategorised"
CATEGORIES: tuple[str, ...] = (
    CSAM,
    EXPLOITIVE,
    CGI,
    COMPARISON,
    NON_PERTINENT,
    KNOWN_GOOD,
    UNCATEGORISED,
)


class _EmptyMapping(Mapping[str, Any]):
    """A shared, immutable, hashable empty mapping (the default metadata)."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"


_EMPTY: Mapping[str, Any] = _EmptyMapping()


@dataclass(frozen=True, init=False)
class Entry:
    """One hash in one set. ``value`` is normalised by its algorithm."""

    algorithm: str
    value: str
    category: str = UNCATEGORISED
    source_scheme: str = "puente"
    source_category: str | None = None
    source_id: str | None = None  # e.g. VICS MediaID, ICSE Image ID, NSRL package id
    confirmations: int | None = None
    first_seen: str | None = None
    comment: str | None = None
    metadata: Mapping[str, Any] = field(default=_EMPTY, compare=False, hash=False)

    def __init__(
        self,
        algorithm: str,
        value: str,
        category: str = UNCATEGORISED,
        source_scheme: str = "puente",
        source_category: str | None = None,
        source_id: str | None = None,
        confirmations: int | None = None,
        first_seen: str | None = None,
        comment: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        # One dict update instead of ten frozen-attribute writes: imports create millions.
        self.__dict__.update(
            algorithm=algorithm,
            value=value,
            category=category,
            source_scheme=source_scheme,
            source_category=source_category,
            source_id=source_id,
            confirmations=confirmations,
            first_seen=first_seen,
            comment=comment,
            metadata=_EMPTY if metadata is None else metadata,
        )

    def key(self) -> tuple[str, str]:
        return (self.algorithm, self.value)


@dataclass(frozen=True)
class HashSetInfo:
    """What a curator says about a set: who owns it, which version, how to handle it."""

    name: str
    version: str = ""
    owner_country: str | None = None
    owner_agency: str | None = None
    description: str = ""
    caveats: str = ""  # handling caveats / licence
    source_format: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: str = "complete"  # "importing" while an import runs or was interrupted
    entry_count: int = 0
    id: int | None = None
    pdq_threshold: int | None = None  # PDQ match distance for this set; None: the default


@dataclass(frozen=True)
class HashSetSummary:
    """What a report needs to name a set it matched against (provenance)."""

    name: str
    version: str
    owner_country: str | None
    owner_agency: str | None
    source_format: str | None
    entry_count: int
    updated_at: datetime | None = None
    pdq_threshold: int | None = None


@dataclass(frozen=True)
class RowError:
    """A row that could not be read: where (file:line) and why. Never dropped silently."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Row:
    """The entries one source row produced (a VICS Media record may give MD5, SHA1, PhotoDNA)."""

    line: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Bulk:
    """Many source rows of one shape read at once (a block of bare hex lines, a run of lean
    VICS Media records): one entry per value, all alike but for value, line and source id.

    Readers yield it only when asked (``ReadOptions.bulk``): an import then handles a block
    without building an Entry per row. ``rows`` is how many source rows it stands for (a
    record with MD5 and SHA1 gives two Bulks: the second counts no rows again).
    """

    template: Entry  # algorithm, category, scheme… shared by every entry (its value unused)
    values: list[str]
    lines: Sequence[int]  # the line of each value
    source_ids: list[str | None] | None = None  # each value's source id; None: the template's
    rows: int = -1  # source rows; -1: one per value

    @property
    def row_count(self) -> int:
        return len(self.values) if self.rows < 0 else self.rows

    def part(self, start: int, end: int) -> Bulk:
        """Values ``start:end`` (counting no source rows: the whole Bulk counted them)."""
        ids = self.source_ids[start:end] if self.source_ids is not None else None
        return Bulk(self.template, self.values[start:end], self.lines[start:end], ids, rows=0)

    def entries(self) -> Iterator[Entry]:
        """The entries, one by one (for stores and callers that take entries)."""
        t = self.template
        ids = self.source_ids or [t.source_id] * len(self.values)
        for value, source_id in zip(self.values, ids, strict=True):
            yield Entry(
                t.algorithm,
                value,
                t.category,
                t.source_scheme,
                t.source_category,
                source_id,
                t.confirmations,
                t.first_seen,
                t.comment,
                t.metadata or None,
            )

    def as_rows(self) -> Iterator[Row]:
        """One Row per value (what a reader yields without ``bulk``)."""
        for line, entry in zip(self.lines, self.entries(), strict=True):
            yield Row(line, (entry,))


@dataclass(frozen=True)
class Conflicting:
    """A hash whose categories disagree across sets."""

    algorithm: str
    value: str
    memberships: tuple[tuple[str, str, str | None], ...]  # (set name, category, source category)


@dataclass(frozen=True)
class SetDiff:
    a: str
    b: str
    only_a: int
    only_b: int
    both: int
    category_changed: int
    examples_only_a: tuple[tuple[str, str], ...] = ()
    examples_only_b: tuple[tuple[str, str], ...] = ()
    examples_changed: tuple[tuple[str, str, str, str], ...] = ()
