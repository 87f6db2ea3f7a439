"""Compiled inner loop of NearIndex (numba): probe buckets, verify candidates, no temporaries.

Kept apart so that near.py imports without numba (it falls back to numpy) and so that the
kernel, compiled once, is cached on disk (``cache=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]  # no stubs; numba ships them
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# How many loads ahead each stage prefetches: enough misses in flight to cover memory latency
# (24-64 measured alike at 10M codes; 0 was 1.4x slower).
AHEAD = 32


def _prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Hint the CPU to start loading the cache line of ``arr[idx]`` (row ``idx`` if 2-D).

    A hint only (no fault, no result): lets a loop request the line it will need AHEAD
    iterations later, so many independent cache misses overlap instead of queueing.
    """
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        first = context.cast(builder, args[1], signature.args[1], types.intp)  # any int type
        index = [first] + [context.get_constant(types.intp, 0)] * (aryty.ndim - 1)
        ptr = _item_pointer(context, builder, aryty, ary, index, wraparound=False)
        ptr = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [ptr.type], fnty)
        # read, high temporal locality, data cache
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


_item_pointer: Any = cgutils.get_item_pointer
prefetch: Any = intrinsic(_prefetch)


@njit(cache=True, inline="always")
def _popcount64(x: np.uint64) -> np.int64:
    # SWAR bit count; LLVM turns this idiom into the POPCNT instruction
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, inline="always")
def _insert(out_ids: Any, out_dist: Any, j: int, c: int, cap: int, e: Any, d: Any) -> int:
    """Put hit (e, d) into query j's first c hits, kept sorted by (d, e); the new count.

    A code found through several chunks comes once per chunk: the repeat is dropped here.
    Hits are few (mostly 0-2), so the insertion scan is short.
    """
    if c >= cap:
        return c + 1
    pos = c
    while pos > 0:
        pd = out_dist[j, pos - 1]
        pe = out_ids[j, pos - 1]
        if pd < d or (pd == d and pe < e):
            break
        if pd == d and pe == e:
            return c
        pos -= 1
    for k in range(c, pos, -1):
        out_ids[j, k] = out_ids[j, k - 1]
        out_dist[j, k] = out_dist[j, k - 1]
    out_ids[j, pos] = e
    out_dist[j, pos] = d
    return c + 1


@njit(cache=True, nogil=True)
def search_block(
    lo_words: Any,
    hi_words: Any,
    perm: Any,
    offsets: Any,
    starts: Any,
    widths: Any,
    tables: Any,
    masks: Any,
    bases: Any,
    qbe: Any,
    q64: Any,
    threshold: int,
    out_ids: Any,
    out_dist: Any,
) -> Any:
    """For each query row: every stored row within ``threshold``, each once, nearest first.

    ``lo_words``/``hi_words``: (N, 2) native uint64, bits 0-127 and 128-255 of each code.
    Writes up to out_ids.shape[1] hits per query, ordered by (distance, id), and returns the
    hit counts (a count above the capacity asks the caller to retry with more room; past the
    capacity, repeats are counted too, so the count is at least the room needed).

    Staged on purpose: nearly every load here (bucket offsets, ids, code rows) misses the
    cache at millions of codes. Done as one chain per probe (offset -> id -> row) the CPU waits
    for each miss in turn; split into three loops of independent loads (all bucket bounds,
    then all candidate ids, then all rows), each prefetching AHEAD iterations ahead, it keeps
    many misses in flight at once. A candidate is first checked on its low 128 bits (16-byte
    rows, never straddling a cache line, half the array the random reads land in); only the
    rare one within the threshold there reads its high half.
    """
    nq = qbe.shape[0]
    m = starts.shape[0]
    npr = tables.shape[0]
    cap = out_ids.shape[1]
    counts = np.zeros(nq, np.int64)
    chunk = np.empty(m, np.int64)
    keys = np.empty(npr, np.int64)
    lo_a = np.empty(npr, np.int64)
    hi_a = np.empty(npr, np.int64)
    cand = np.empty(8192, np.int64)
    for j in range(nq):
        for t in range(m):
            st = starts[t]
            w = widths[t]
            i = st // 64
            o = st % 64
            if o + w <= 64:
                v = qbe[j, i] >> np.uint64(64 - o - w)
            else:
                k = o + w - 64
                v = (qbe[j, i] << np.uint64(k)) | (qbe[j, i + 1] >> np.uint64(64 - k))
            chunk[t] = np.int64(v & np.uint64((1 << w) - 1))
        for p in range(npr):
            keys[p] = bases[p] + (chunk[tables[p]] ^ masks[p])
        # 1: every probed bucket's bounds
        total = np.int64(0)
        for p in range(npr):
            prefetch(offsets, keys[min(p + AHEAD, npr - 1)])
            key = keys[p]
            lo = np.int64(offsets[key])
            hi = np.int64(offsets[key + 1])
            lo_a[p] = lo
            hi_a[p] = hi
            total += hi - lo
        # 2: every candidate id
        if total > cand.shape[0]:
            cand = np.empty(2 * total, np.int64)
        n = 0
        for p in range(npr):
            prefetch(perm, lo_a[min(p + AHEAD, npr - 1)])
            for r in range(lo_a[p], hi_a[p]):
                cand[n] = perm[r]
                n += 1
        # 3: verify each candidate on the full 256 bits, low half first
        a0 = q64[j, 0]
        a1 = q64[j, 1]
        a2 = q64[j, 2]
        a3 = q64[j, 3]
        c = 0
        for r in range(n):
            prefetch(lo_words, cand[min(r + AHEAD, n - 1)])
            e = cand[r]
            d = _popcount64(lo_words[e, 0] ^ a0) + _popcount64(lo_words[e, 1] ^ a1)
            if d <= threshold:
                d += _popcount64(hi_words[e, 0] ^ a2) + _popcount64(hi_words[e, 1] ^ a3)
                if d <= threshold:
                    c = _insert(out_ids, out_dist, j, c, cap, e, d)
        counts[j] = c
    return counts
