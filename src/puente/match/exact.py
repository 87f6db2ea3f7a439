"""Exact lookup of (algorithm, value) -> memberships, in memory, for scans.

Hex digests are packed into fixed-width byte strings in one sorted numpy array per
algorithm (16 bytes per MD5, 32 per SHA-256), with a parallel array of membership codes;
a batch is answered with two ``searchsorted`` calls. 10M MD5 entries take about 200 MB.
Opaque values (PhotoDNA) live in a dict. Memberships are interned: a set has few distinct
(set, version, category, source category) combinations.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from puente.hashing.base import HexDigest
from puente.hashing.registry import get_algorithm
from puente.hashsets.model import HashSetSummary

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# numpy is imported where a digest table is built or searched, not with this module: a
# scan without hash sets never needs it (~0.1 s of every such scan's start-up).


@dataclass(frozen=True)
class Membership:
    set_name: str
    set_version: str
    category: str
    source_category: str


_NONE: tuple[Membership, ...] = ()
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)
_GROW = 1 << 16


class Lookup(dict[tuple[str, str], tuple[Membership, ...]]):
    """Result of ``lookup_many``: hits only; a missing pair reads as no membership."""

    def __missing__(self, key: tuple[str, str]) -> tuple[Membership, ...]:
        return _NONE


class _HexTable:
    """Sorted fixed-width digests and their membership codes for one hex algorithm.

    Searching runs on the first 8 bytes as big-endian uint64 (numeric, fast); the full
    digest is then compared, so a shared prefix never produces a false match.
    """

    def __init__(self, width: int) -> None:
        import numpy as np

        self.width = width
        self._chunks: list[bytes] = []
        self._codes: list[int] = []
        self._parts: list[tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]] = []
        self.keys: npt.NDArray[np.bytes_] = np.empty(0, dtype=f"S{width}")
        self.prefix: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self.remaining: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self.codes: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)

    def add(self, digest: bytes, code: int) -> None:
        self._chunks.append(digest)
        self._codes.append(code)
        if len(self._chunks) >= _GROW:
            self._flush()

    def _flush(self) -> None:
        import numpy as np

        if not self._chunks:
            return
        keys = np.frombuffer(b"".join(self._chunks), dtype=f"S{self.width}")
        self._parts.append((keys, np.asarray(self._codes, dtype=np.int32)))
        self._chunks, self._codes = [], []

    def finish(self) -> None:
        import numpy as np

        self._flush()
        if self._parts:
            self.keys = np.concatenate([k for k, _ in self._parts])
            self.codes = np.concatenate([c for _, c in self._parts])
        self._parts = []
        order = np.argsort(self.keys, kind="stable")
        self.keys = self.keys[order]
        self.codes = self.codes[order]
        self.prefix = _prefix(self.keys, self.width)
        # remaining[i]: how many equal keys from i to the end of its run (memberships of a hash).
        n = len(self.keys)
        new_run = np.ones(n, dtype=bool)
        if n > 1:
            new_run[1:] = self.keys[1:] != self.keys[:-1]
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], n)
        run = np.cumsum(new_run) - 1
        self.remaining = (ends[run] - np.arange(n)).astype(np.int32)

    def find(
        self, query: npt.NDArray[np.bytes_]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """(left, exact, collision) per query digest.

        ``exact``: keys[left] equals the query (memberships: remaining[left] from left).
        ``collision``: same 8-byte prefix but another digest first; resolved by the caller.
        """
        import numpy as np

        n = len(self.keys)
        if n == 0:
            none = np.zeros(len(query), dtype=bool)
            return np.zeros(len(query), dtype=np.intp), none, none
        qp = _prefix(query, self.width)
        # Probes in sorted order walk the table (and its gathers) front to back: several
        # times faster than random order on a table far larger than the CPU caches.
        order = np.argsort(qp)
        sorted_probes = qp[order]
        at_sorted = np.minimum(np.searchsorted(self.prefix, sorted_probes, side="left"), n - 1)
        same_sorted = self.prefix[at_sorted] == sorted_probes
        exact_sorted = same_sorted & (self.keys[at_sorted] == query[order])
        at = np.empty_like(at_sorted)
        at[order] = at_sorted
        exact = np.empty_like(exact_sorted)
        exact[order] = exact_sorted
        collision = np.empty_like(exact_sorted)
        collision[order] = same_sorted & ~exact_sorted
        return at, exact, collision


def _prefix(keys: npt.NDArray[np.bytes_], width: int) -> npt.NDArray[np.uint64]:
    """First 8 bytes of each digest as big-endian integers (sorts like the bytes)."""
    import numpy as np

    raw = np.frombuffer(keys.tobytes(), dtype=np.uint8).reshape(-1, width)
    head = np.ascontiguousarray(raw[:, :8]) if width >= 8 else np.pad(raw, ((0, 0), (0, 8 - width)))
    return head.view(">u8").ravel().astype(np.uint64)


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
        self._singles = [(m,) for m in self._memberships]
        self._size = count
        given = {s.name: s for s in sets}
        names = {m.set_name: m.set_version for m in self._memberships}
        for name, version in names.items():
            given.setdefault(name, HashSetSummary(name, version, None, None, None, 0))
        self._sets = tuple(sorted(given.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return self._size

    def nbytes(self) -> int:
        """Memory held by the sorted arrays (opaque values and memberships not counted)."""
        return sum(
            t.keys.nbytes + t.prefix.nbytes + t.codes.nbytes + t.remaining.nbytes
            for t in self._hex.values()
        )

    def sets(self) -> tuple[HashSetSummary, ...]:
        """The sets loaded, with name, version, owner and provenance (for reports)."""
        return self._sets

    def _decode(self, codes: Iterable[int]) -> tuple[Membership, ...]:
        return tuple(self._memberships[c] for c in codes)

    def lookup(self, algorithm: str, value: str) -> tuple[Membership, ...]:
        return self.lookup_many([(algorithm, value)])[(algorithm, value)]

    def lookup_many(
        self, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Membership, ...]]:
        """Queried pairs that have memberships -> those memberships.

        The result holds the hits only (a scan's batch is mostly misses); indexing it with
        any other pair gives the empty tuple, so ``result[pair]`` works for every pair.

        Hex values match case-insensitively; a value that is not valid for its algorithm
        simply has no membership.
        """
        pairs = pairs if isinstance(pairs, list) else list(pairs)
        result: dict[tuple[str, str], tuple[Membership, ...]] = Lookup()
        algorithms = set(map(_FIRST, pairs))
        for algorithm in algorithms:
            group = pairs if len(algorithms) == 1 else [p for p in pairs if p[0] == algorithm]
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
        import numpy as np

        width = table.width
        values = list(map(_SECOND, group))
        valid: npt.NDArray[np.bool_] | None = None
        joined = "".join(values)
        raw: bytes | None = None
        # Fast path: every value is exactly 2*width hex digits, decoded in one call.
        # (fromhex skips whitespace: a short result then sends us to the careful path.)
        if len(joined) == 2 * width * len(values) and set(map(len, values)) == {2 * width}:
            try:
                raw = bytes.fromhex(joined)
            except ValueError:
                raw = None
            if raw is not None and len(raw) != width * len(values):
                raw = None
        if raw is None:
            digests = [_digest_or_none(v.strip()) for v in values]
            valid = np.array([d is not None and len(d) == width for d in digests], dtype=bool)
            pad = bytes(width)
            raw = b"".join(d if d is not None and len(d) == width else pad for d in digests)
        query = np.frombuffer(raw, dtype=f"S{width}")
        left, exact, collision = table.find(query)
        if valid is not None:
            exact &= valid
            collision &= valid
        counts = table.remaining[left]
        single = exact & (counts == 1)
        singles = self._singles
        hits = np.flatnonzero(single)
        for i, code in zip(hits.tolist(), table.codes[left[hits]].tolist(), strict=True):
            result[group[i]] = singles[code]
        codes = table.codes
        for i in np.flatnonzero(exact & ~single).tolist():
            lo = int(left[i])
            result[group[i]] = self._decode(codes[lo : lo + int(counts[i])].tolist())
        for i in np.flatnonzero(collision).tolist():  # 8-byte prefix shared: scan the group
            lo = int(left[i])
            hi = int(np.searchsorted(table.prefix, table.prefix[lo], side="right"))
            same = np.flatnonzero(table.keys[lo:hi] == query[i])
            if len(same):
                result[group[i]] = self._decode(codes[lo + same].tolist())


def _digest_or_none(value: str) -> bytes | None:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _is_zero_digest(value: str, width: int) -> bool:
    text = value.strip()
    return len(text) == 2 * width and set(text) == {"0"}
