"""Exact lookup of (algorithm, value) -> memberships, in memory, for scans.

Hex digests are packed into fixed-width byte strings in one sorted numpy array per
algorithm (16 bytes per MD5, 32 per SHA-256), with a parallel array of membership codes;
a batch is answered with two ``searchsorted`` calls. 10M MD5 entries take about 200 MB.
Opaque values (PhotoDNA) live in a dict. Memberships are interned: a set has few distinct
(set, version, category, source category) combinations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from puente.hashing.base import HexDigest
from puente.hashing.registry import get_algorithm
from puente.hashsets.model import HashSetSummary


@dataclass(frozen=True)
class Membership:
    set_name: str
    set_version: str
    category: str
    source_category: str


_NONE: tuple[Membership, ...] = ()
_GROW = 1 << 16


class _HexTable:
    """Sorted fixed-width digests and their membership codes for one hex algorithm."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._chunks: list[bytes] = []
        self._codes: list[int] = []
        self.keys: npt.NDArray[np.bytes_] = np.empty(0, dtype=f"S{width}")
        self.codes: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)

    def add(self, digest: bytes, code: int) -> None:
        self._chunks.append(digest)
        self._codes.append(code)
        if len(self._chunks) >= _GROW:
            self._flush()

    def _flush(self) -> None:
        if not self._chunks:
            return
        keys = np.frombuffer(b"".join(self._chunks), dtype=f"S{self.width}")
        codes = np.asarray(self._codes, dtype=np.int32)
        self.keys = np.concatenate([self.keys, keys])
        self.codes = np.concatenate([self.codes, codes])
        self._chunks, self._codes = [], []

    def finish(self) -> None:
        self._flush()
        order = np.argsort(self.keys, kind="stable")
        self.keys = self.keys[order]
        self.codes = self.codes[order]

    def ranges(self, digests: Sequence[bytes]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        query = np.frombuffer(b"".join(digests), dtype=f"S{self.width}")
        left = np.searchsorted(self.keys, query, side="left")
        right = np.searchsorted(self.keys, query, side="right")
        return left, right


class ExactIndex:
    """Built once from the store's memberships; answers lookups without I/O."""

    def __init__(
        self,
        rows: Iterable[tuple[str, str, Membership]],
        sets: Iterable[HashSetSummary] = (),
    ) -> None:
        self._memberships: list[Membership] = []
        intern: dict[Membership, int] = {}
        self._hex: dict[str, _HexTable] = {}
        self._opaque: dict[str, dict[str, list[int]]] = {}
        widths: dict[str, int | None] = {}
        count = 0
        for algorithm, value, membership in rows:
            code = intern.get(membership)
            if code is None:
                code = intern[membership] = len(self._memberships)
                self._memberships.append(membership)
            width = widths.get(algorithm, -1)
            if width == -1:
                algo = get_algorithm(algorithm)
                width = algo.hex_length // 2 if isinstance(algo, HexDigest) else None
                widths[algorithm] = width
                if width is not None:
                    self._hex[algorithm] = _HexTable(width)
                else:
                    self._opaque[algorithm] = {}
            if width is not None:
                self._hex[algorithm].add(bytes.fromhex(value), code)
            else:
                self._opaque[algorithm].setdefault(value, []).append(code)
            count += 1
        for table in self._hex.values():
            table.finish()
        self._size = count
        given = {s.name: s for s in sets}
        names = {m.set_name: m.set_version for m in self._memberships}
        for name, version in names.items():
            given.setdefault(name, HashSetSummary(name, version, None, None, None, 0))
        self._sets = tuple(sorted(given.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return self._size

    def sets(self) -> tuple[HashSetSummary, ...]:
        """The sets loaded, with name, version, owner and provenance (for reports)."""
        return self._sets

    def _decode(self, codes: Iterable[int]) -> tuple[Membership, ...]:
        return tuple(self._memberships[c] for c in codes)

    def lookup(self, algorithm: str, value: str) -> tuple[Membership, ...]:
        return self.lookup_many([(algorithm, value)]).get((algorithm, value), _NONE)

    def lookup_many(
        self, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Membership, ...]]:
        """Every queried pair -> its memberships (empty tuple when absent).

        Values are matched case-insensitively for hex algorithms; a value that is not valid
        for its algorithm simply has no membership.
        """
        result: dict[tuple[str, str], tuple[Membership, ...]] = {}
        by_algo: dict[str, list[tuple[str, str]]] = {}
        for pair in pairs:
            by_algo.setdefault(pair[0], []).append(pair)
        for algorithm, group in by_algo.items():
            result.update(dict.fromkeys(group, _NONE))
            table = self._hex.get(algorithm)
            if table is not None:
                self._lookup_hex(table, group, result)
            elif algorithm in self._opaque:
                known = self._opaque[algorithm]
                for pair in group:
                    codes = known.get(pair[1].strip())
                    if codes:
                        result[pair] = self._decode(codes)
        return result

    def _lookup_hex(
        self,
        table: _HexTable,
        group: list[tuple[str, str]],
        result: dict[tuple[str, str], tuple[Membership, ...]],
    ) -> None:
        width = table.width
        pad = bytes(width)
        try:
            digests = [bytes.fromhex(v) for _, v in group]
        except ValueError:
            digests = [_digest_or_none(v) or pad for _, v in group]
        if any(len(d) != width for d in digests):
            digests = [d if len(d) == width else pad for d in digests]
        valid = None
        if pad in digests:  # padding stands for "not a valid value": mask it out
            valid = np.array([len(d) == width and d != pad for d in digests])
            valid |= np.array([_is_zero_digest(v, width) for _, v in group])
        left, right = table.ranges(digests)
        hits = np.nonzero(right > left)[0]
        codes = table.codes
        for i in hits.tolist():
            if valid is not None and not valid[i]:
                continue
            result[group[i]] = self._decode(codes[left[i] : right[i]].tolist())


def _digest_or_none(value: str) -> bytes | None:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _is_zero_digest(value: str, width: int) -> bool:
    text = value.strip()
    return len(text) == 2 * width and set(text) == {"0"}
