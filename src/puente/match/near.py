"""Exact Hamming range search over 256-bit codes (PDQ): every entry within a distance.

``NearIndex`` answers "which stored codes are within Hamming distance ≤ t of this code, and at
what distance" with 100 % recall by construction (multi-index hashing, Norouzi et al., CVPR
2012, with per-chunk radii), verified against brute force in tests/match/test_near.py.

How it works. The 256 bits are cut into m chunks (widths w_i). Chunk i is probed with radius
s_i: all stored codes whose chunk i differs from the query's in ≤ s_i bits are candidates.
Pigeonhole: if Σ (s_i + 1) ≥ t + 1, a code within distance t of the query has some chunk i with
distance ≤ s_i (otherwise the distance would be ≥ Σ (s_i + 1) > t), so it is a candidate. Every
candidate is then verified with the full 256-bit popcount, so nothing farther than t is ever
returned. Each chunk table is a counting-sort array (entry ids grouped by chunk value) plus a
bucket offset array. The chunking is planned from N to keep index memory ≤ 2× the codes
(so ≤ 3× with the codes) while minimising probes and candidates. Small sets (or thresholds
beyond what the plan covers) use a vectorised brute-force scan, which is exact too.

Entry ids are the row numbers of the codes given to ``build``. The index keeps its own copy of
the codes, split into two (N, 2) uint64 halves in 64-byte-aligned memory: candidates are checked
on the low half first (16-byte rows: one cache line each, half the array to miss in), the high
half only for the rare one within the threshold there. Arrays this size get transparent huge
pages from numpy's own allocator (it madvises allocations ≥ 4 MiB), which the random reads
need: with 4 KiB pages the 10M-code search was 1.6x slower (docs/benchmarks/pdq_index.md).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from puente.errors import InvalidHash


@lru_cache(maxsize=1)
def _kernels() -> Any:
    """The compiled kernels (numba, imported on first use: ~1 s), or None without numba.

    ~5-10x the numpy path; numpy stays as the fallback with identical results.
    """
    try:
        from puente.match import _near_kernels
    except ImportError:  # pragma: no cover - numba missing
        return None
    return _near_kernels


CODE_BITS = 256
CODE_BYTES = 32
DEFAULT_THRESHOLD = 31
BRUTE_FORCE_BELOW = 50_000  # sets smaller than this are scanned (sub-millisecond anyway)
MIN_BUDGET = 96 * 2**20  # small sets may use more than 2x their codes for tables (still small)

Codes = npt.NDArray[np.uint8]
Match = tuple[int, int]  # (entry id, distance)


def codes_from_hex(values: Iterable[str]) -> Codes:
    """An (N, 32) uint8 array from 64-hex-digit strings; raises InvalidHash on a bad value."""
    items = list(values)
    try:
        raw = bytes.fromhex("".join(items))
    except ValueError as exc:
        raise InvalidHash(f"a PDQ value is not hexadecimal: {exc}") from None
    if any(len(v) != 2 * CODE_BYTES for v in items):
        bad = next(v for v in items if len(v) != 2 * CODE_BYTES)
        raise InvalidHash(f"a PDQ value must be 64 hex digits, got {len(bad)}: {bad[:70]!r}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(items), CODE_BYTES).copy()


def _aligned_empty(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """An uninitialised array whose data starts on a 64-byte (cache-line) boundary.

    numpy's large arrays start 16 bytes past one, so half of all 32-byte rows would straddle
    two lines; with 16-byte rows aligned, every row is one line.
    """
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buf = np.empty(nbytes + 64, np.uint8)
    skip = -buf.ctypes.data % 64
    return buf[skip : skip + nbytes].view(dtype).reshape(shape)


def _as_codes(codes: Codes | Sequence[str]) -> Codes:
    if isinstance(codes, np.ndarray):
        arr = np.ascontiguousarray(codes, dtype=np.uint8)
        if arr.ndim != 2 or arr.shape[1] != CODE_BYTES:
            raise ValueError(f"codes must have shape (N, {CODE_BYTES}), got {arr.shape}")
        return arr
    return codes_from_hex(codes)


def _as_code(code: bytes | str | npt.NDArray[np.uint8]) -> bytes:
    if isinstance(code, str):
        try:
            raw = bytes.fromhex(code) if len(code) == 2 * CODE_BYTES else b""
        except ValueError:
            raise InvalidHash(f"a query code is not hexadecimal: {code[:70]!r}") from None
    elif isinstance(code, bytes):
        raw = code
    else:
        raw = np.ascontiguousarray(code, dtype=np.uint8).tobytes()
    if len(raw) != CODE_BYTES:
        raise InvalidHash(f"a query code must be {CODE_BYTES} bytes / 64 hex digits")
    return raw


@dataclass(frozen=True)
class Chunk:
    start: int  # first bit (0 = most significant bit of byte 0)
    width: int  # bits, ≤ 32
    radius: int  # probe radius planned for the maximum threshold


@dataclass(frozen=True)
class Plan:
    chunks: tuple[Chunk, ...]
    est_candidates: float  # expected candidates per query on uniform codes
    probes: int
    index_bytes: int


def _ball(width: int, radius: int) -> int:
    return sum(math.comb(width, k) for k in range(radius + 1))


@lru_cache(maxsize=64)
def _masks(width: int, radius: int) -> npt.NDArray[np.uint32]:
    """All XOR masks of ``width`` bits with at most ``radius`` bits set."""
    out = [0]
    for k in range(1, radius + 1):
        for bits in combinations(range(width), k):
            out.append(sum(1 << b for b in bits))
    return np.array(out, dtype=np.uint32)


def _split(total: int, parts: int) -> list[int]:
    q, r = divmod(total, parts)
    return [q + 1] * r + [q] * (parts - r)


def plan_chunks(n: int, max_threshold: int = DEFAULT_THRESHOLD) -> Plan | None:
    """The cheapest exact chunking for n codes and thresholds up to ``max_threshold``.

    Cost = expected candidates + 2 × probes (a probe reads two bucket offsets); index memory
    (4 bytes per entry per chunk + 4 bytes per bucket) is kept ≤ 2 × the 32 bytes per code.
    None when no chunking pays (small n): callers scan instead.
    """
    if n < BRUTE_FORCE_BELOW:
        return None
    budget = max(2 * CODE_BYTES * n, MIN_BUDGET)
    need = max_threshold + 1
    best: Plan | None = None
    best_cost = float(n)  # brute force reads every code
    for m in range(4, 33):
        for high in (1, 2, 3):  # chunks probed at radius `high`, the rest at `high - 1`
            low = high - 1
            k = need - m * (low + 1)  # chunks that must use the higher radius
            if k < 0 or k > m:
                continue
            for bits_high in range(k * 8, min(k * 32, CODE_BITS) + 1) if k else (0,):
                bits_low = CODE_BITS - bits_high
                if m - k == 0 and bits_low:
                    continue
                widths = (_split(bits_high, k) if k else []) + (
                    _split(bits_low, m - k) if m - k else []
                )
                if any(w > 32 or w < 4 for w in widths):
                    continue
                radii = [high] * k + [low] * (m - k)
                cand = n * sum(_ball(w, s) / 2**w for w, s in zip(widths, radii, strict=True))
                probes = sum(_ball(w, s) for w, s in zip(widths, radii, strict=True))
                mem = 4 * n * m + 4 * sum(2**w + 1 for w in widths)
                if mem > budget:
                    continue
                cost = cand + 2 * probes
                if cost < best_cost:
                    starts = np.cumsum([0, *widths[:-1]]).tolist()
                    chunks = tuple(
                        Chunk(int(s), w, r) for s, w, r in zip(starts, widths, radii, strict=True)
                    )
                    best, best_cost = Plan(chunks, cand, probes, mem), cost
    return best


def _radii_for(chunks: Sequence[Chunk], threshold: int) -> list[int] | None:
    """Per-chunk probe radii covering ``threshold`` (Σ (s_i + 1) ≥ threshold + 1), smallest first.

    Radii never exceed the planned ones (the masks are sized for them); None if that cannot
    cover the threshold, and the caller scans.
    """
    radii = [0] * len(chunks)
    need = threshold + 1 - len(chunks)
    # raise radii on the widest chunks first: a bigger ball on a wider chunk costs the least
    order = sorted(range(len(chunks)), key=lambda i: -chunks[i].width)
    while need > 0:
        progressed = False
        for i in order:
            if need <= 0:
                break
            if radii[i] < chunks[i].radius:
                radii[i] += 1
                need -= 1
                progressed = True
        if not progressed:
            return None
    return radii


class NearIndex:
    """Exact range search over 256-bit codes. Immutable once built."""

    def __init__(
        self,
        codes: Codes | Sequence[str],
        *,
        max_threshold: int = DEFAULT_THRESHOLD,
        plan: Plan | bool | None = True,
        compiled: bool = True,
    ) -> None:
        """Index ``codes`` ((N, 32) uint8 or 64-hex strings); entry id = row number.

        ``plan``: True plans the chunking from N; False forces a brute-force scan; or a Plan.
        ``compiled``: use the numba kernels when available (False: numpy only; same results).
        """
        self._compiled = compiled and _kernels() is not None
        arr = _as_codes(codes)
        n = len(arr)
        self._n = n
        words = arr.view(np.uint64)  # (N, 4), native order: popcount needs no bit order
        # own aligned copy, low and high 128 bits apart (see the module docstring)
        self._lo = _aligned_empty((n, 2), np.uint64)
        self._hi = _aligned_empty((n, 2), np.uint64)
        step = 1 << 20
        for a in range(0, n, step):
            self._lo[a : a + step] = words[a : a + step, :2]
            self._hi[a : a + step] = words[a : a + step, 2:]
        self.max_threshold = max_threshold
        chosen = plan_chunks(n, max_threshold) if plan is True else (plan or None)
        self.plan: Plan | None = chosen
        self._perm = np.zeros(0, np.uint32)
        self._offsets = np.zeros(0, np.int64)
        self._bases: list[int] = []
        self._probe_cache: dict[int, tuple[npt.NDArray[np.int64], ...] | None] = {}
        if chosen is not None:
            self._build(chosen, arr)

    @classmethod
    def build(cls, codes: Codes | Sequence[str], **kw: object) -> NearIndex:
        return cls(codes, **kw)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held: codes plus chunk tables."""
        return int(self._lo.nbytes + self._hi.nbytes + self._perm.nbytes + self._offsets.nbytes)

    # --- build ------------------------------------------------------------------------------

    @staticmethod
    def _chunk_values(codes: Codes, chunk: Chunk, lo: int, hi: int) -> npt.NDArray[np.int64]:
        words = codes[lo:hi].view(">u8").astype(np.uint64)  # big-endian bit order
        i, o, w = chunk.start // 64, chunk.start % 64, chunk.width
        mask = np.uint64((1 << w) - 1)
        if o + w <= 64:
            v = (words[:, i] >> np.uint64(64 - o - w)) & mask
        else:
            k = o + w - 64
            v = ((words[:, i] << np.uint64(k)) | (words[:, i + 1] >> np.uint64(64 - k))) & mask
        return v.astype(np.int64)

    def _build(self, plan: Plan, codes: Codes) -> None:
        n = len(codes)
        m = len(plan.chunks)
        off_dtype = np.uint32 if n * m < 2**32 else np.int64
        self._perm = np.empty(n * m, np.uint32)
        offsets = []
        base = 0
        step = 1 << 22
        for t, chunk in enumerate(plan.chunks):
            keys = np.empty(n, np.uint32)
            for lo in range(0, n, step):
                keys[lo : lo + step] = self._chunk_values(codes, chunk, lo, min(n, lo + step))
            counts = np.bincount(keys, minlength=1 << chunk.width)
            starts = np.zeros(len(counts) + 1, np.int64)
            np.cumsum(counts, out=starts[1:])
            self._perm[t * n : (t + 1) * n] = np.argsort(keys, kind="stable")
            self._bases.append(base)
            offsets.append((starts + t * n).astype(off_dtype))
            base += len(starts)
        self._offsets = np.concatenate(offsets).astype(np.int64 if n * m >= 2**32 else np.uint32)
        self._starts = np.array([c.start for c in plan.chunks], np.int64)
        self._widths = np.array([c.width for c in plan.chunks], np.int64)

    # --- query ------------------------------------------------------------------------------

    def _probes(self, threshold: int) -> tuple[npt.NDArray[np.int64], ...] | None:
        """(table of each probe, XOR mask, bucket base) for a threshold, cached."""
        if threshold in self._probe_cache:
            return self._probe_cache[threshold]
        result = None
        if self.plan is not None:
            radii = _radii_for(self.plan.chunks, threshold)
            if radii is not None:
                tables, masks, bases = [], [], []
                for t, (chunk, s) in enumerate(zip(self.plan.chunks, radii, strict=True)):
                    mk = _masks(chunk.width, s).astype(np.int64)
                    tables.append(np.full(len(mk), t, np.int64))
                    masks.append(mk)
                    bases.append(np.full(len(mk), self._bases[t], np.int64))
                result = (np.concatenate(tables), np.concatenate(masks), np.concatenate(bases))
        self._probe_cache[threshold] = result
        return result

    def _query_chunks(self, raws: Sequence[bytes]) -> npt.NDArray[np.int64]:
        assert self.plan is not None
        out = np.empty((len(raws), len(self.plan.chunks)), np.int64)
        for j, raw in enumerate(raws):
            value = int.from_bytes(raw, "big")
            for t, c in enumerate(self.plan.chunks):
                out[j, t] = (value >> (CODE_BITS - c.start - c.width)) & ((1 << c.width) - 1)
        return out

    def _popcounts(self, rows: npt.NDArray[np.int64] | None, q: npt.NDArray[np.uint64]) -> Any:
        """(n, 4) uint8 bit counts of stored rows (all if None) XOR query words q ((n|1, 4))."""
        lo = self._lo if rows is None else np.take(self._lo, rows, axis=0)
        hi = self._hi if rows is None else np.take(self._hi, rows, axis=0)
        return np.bitwise_count(lo ^ q[:, :2]), np.bitwise_count(hi ^ q[:, 2:])

    def _scan(self, raw: bytes, threshold: int) -> list[Match]:
        q = np.frombuffer(raw, dtype=np.uint64)[None, :]
        xl, xh = self._popcounts(None, q)
        d = xl[:, 0] + xl[:, 1]
        d += xh[:, 0]
        d += xh[:, 1]  # uint8 sum, fast; overflows only when all 256 bits differ (256 -> 0)
        ids = np.flatnonzero(d <= threshold)
        dist = d[ids].astype(np.int64)
        wrapped = dist == 0  # 0 is also what 256 differing bits sum to in uint8: recount
        if wrapped.any():
            xl, xh = self._popcounts(ids[wrapped], q)
            dist[wrapped] = xl.sum(axis=1, dtype=np.int64) + xh.sum(axis=1, dtype=np.int64)
            keep = dist <= threshold
            ids, dist = ids[keep], dist[keep]
        order = np.lexsort((ids, dist))
        return list(zip(ids[order].tolist(), dist[order].tolist(), strict=True))

    def query(self, code: bytes | str | npt.NDArray[np.uint8], threshold: int = 31) -> list[Match]:
        """Every (entry id, distance) with distance ≤ threshold, nearest first (then by id)."""
        if threshold < 0:
            raise ValueError("threshold must be ≥ 0")
        raw = _as_code(code)
        if self._n == 0:
            return []
        probes = self._probes(threshold)
        if probes is None:
            return self._scan(raw, threshold)
        one = np.frombuffer(raw, np.uint8)[None, :]
        if self._compiled:
            return self._search_compiled(one, threshold, probes)[0]
        return self._search(one, [raw], threshold, probes)[0]

    def query_batch(
        self,
        codes: Codes | Sequence[str],
        threshold: int = 31,
        *,
        threads: int | None = None,
        block: int = 256,
    ) -> list[list[Match]]:
        """``query`` for many codes at once (vectorised in blocks, spread over threads)."""
        qs = _as_codes(codes)
        if len(qs) == 0:
            return []
        probes = self._probes(threshold)
        raws = [] if self._compiled and probes is not None else [q.tobytes() for q in qs]
        if probes is None or self._n == 0:
            return [self._scan(r, threshold) if self._n else [] for r in raws]
        blocks = [(lo, min(len(qs), lo + block)) for lo in range(0, len(qs), block)]
        nthreads = threads or min(len(blocks), os.cpu_count() or 1)

        def run(span: tuple[int, int]) -> list[list[Match]]:
            lo, hi = span
            if self._compiled:  # the kernel releases the GIL: threads run in parallel
                return self._search_compiled(qs[lo:hi], threshold, probes)
            return self._search(qs[lo:hi], raws[lo:hi], threshold, probes)

        if nthreads <= 1:
            parts = [run(b) for b in blocks]
        else:
            with ThreadPoolExecutor(nthreads) as pool:
                parts = list(pool.map(run, blocks))
        return [r for part in parts for r in part]

    def _search_compiled(
        self, qs: Codes, threshold: int, probes: tuple[npt.NDArray[np.int64], ...]
    ) -> list[list[Match]]:
        nq = len(qs)
        qbe = qs.view(">u8").astype(np.uint64)  # big-endian words: chunk extraction
        q64 = np.ascontiguousarray(qs).view(np.uint64)  # native words: popcount, like the codes
        kernel = _kernels().search_block
        fixed = (self._lo, self._hi, self._perm, self._offsets, self._starts, self._widths, *probes)
        cap = 64  # hits kept per query; a query with more is run again alone, with room
        ids = np.empty((nq, cap), np.int64)
        dist = np.empty((nq, cap), np.int64)
        counts = kernel(*fixed, qbe, q64, threshold, ids, dist)
        over = np.flatnonzero(counts > cap)
        if len(over):  # near-duplicate-rich sets: rerun only those queries, not the block
            more = int(counts.max())
            ids_o = np.empty((len(over), more), np.int64)
            dist_o = np.empty((len(over), more), np.int64)
            counts[over] = kernel(*fixed, qbe[over], q64[over], threshold, ids_o, dist_o)
            ids = np.concatenate((ids, np.zeros((nq, more - cap), np.int64)), axis=1)
            dist = np.concatenate((dist, np.zeros((nq, more - cap), np.int64)), axis=1)
            ids[over] = ids_o
            dist[over] = dist_o
        # the kernel leaves each query's hits unique and sorted: cut one flat list of pairs
        kept = np.arange(ids.shape[1])[None, :] < counts[:, None]
        pairs = list(zip(ids[kept].tolist(), dist[kept].tolist(), strict=True))
        results: list[list[Match]] = []
        start = 0
        for end in np.cumsum(counts).tolist():
            results.append(pairs[start:end])
            start = end
        return results

    def _search(
        self,
        qs: Codes,
        raws: Sequence[bytes],
        threshold: int,
        probes: tuple[npt.NDArray[np.int64], ...],
    ) -> list[list[Match]]:
        tables, masks, bases = probes
        nq, npr = len(raws), len(tables)
        qc = self._query_chunks(raws)  # (nq, m)
        keys = (bases[None, :] + (qc[:, tables] ^ masks[None, :])).ravel()
        starts = self._offsets[keys].astype(np.int64)
        lens = self._offsets[keys + 1].astype(np.int64) - starts
        total = int(lens.sum())
        results: list[list[Match]] = [[] for _ in range(nq)]
        if total == 0:
            return results
        ends = np.cumsum(lens)
        idx = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)
        cand = np.take(self._perm, idx)
        qidx = np.repeat(np.repeat(np.arange(nq), npr), lens)
        q64 = np.ascontiguousarray(qs).view(np.uint64)
        # np.take is ~3x faster than fancy indexing for row gathers
        xl, xh = self._popcounts(cand, np.take(q64, qidx, axis=0))
        d = xl[:, 0] + xl[:, 1]
        d += xh[:, 0]
        d += xh[:, 1]
        hit = np.flatnonzero(d <= threshold)
        hq, hid, hd = qidx[hit], cand[hit].astype(np.int64), d[hit].astype(np.int64)
        wrapped = hd == 0  # see _scan: recount, 256 differing bits wrap to 0 in uint8
        if wrapped.any():
            xl, xh = self._popcounts(hid[wrapped], q64[hq[wrapped]])
            hd[wrapped] = xl.sum(axis=1, dtype=np.int64) + xh.sum(axis=1, dtype=np.int64)
            keep = hd <= threshold
            hq, hid, hd = hq[keep], hid[keep], hd[keep]
        # a code found through several chunks appears several times: keep one
        order = np.lexsort((hid, hd, hq))
        hq, hid, hd = hq[order], hid[order], hd[order]
        first = np.ones(len(hq), bool)
        first[1:] = (hq[1:] != hq[:-1]) | (hid[1:] != hid[:-1])
        # (hq, hd, hid) sorted: duplicates of one id share hd, so they are adjacent
        hq, hid, hd = hq[first], hid[first], hd[first]
        for q, i, dd in zip(hq.tolist(), hid.tolist(), hd.tolist(), strict=True):
            results[q].append((i, dd))
        return results


def brute_force(codes: Codes, code: bytes | str, threshold: int) -> list[Match]:
    """Reference answer (tests, benchmarks): scan every code with Python-int popcounts."""
    q = int.from_bytes(_as_code(code), "big")
    out = []
    for i in range(len(codes)):
        d = (int.from_bytes(codes[i].tobytes(), "big") ^ q).bit_count()
        if d <= threshold:
            out.append((i, d))
    return sorted(out, key=lambda m: (m[1], m[0]))
