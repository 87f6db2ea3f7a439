"""Exact Hamming range search over PDQ-sized codes: NearIndex vs faiss, side by side.

    .venv/bin/python bench/pdq_index.py            # N = 1M (a few minutes on 2 cores)
    .venv/bin/python bench/pdq_index.py --full     # N = 10M (the issue's size)
    .venv/bin/python bench/pdq_index.py --n 200000 --sets uniform

For each data set (uniform random codes; clustered codes with many near-duplicates) and each
method (NearIndex; faiss IndexBinaryFlat; faiss IndexBinaryMultiHash(256, 16, 16) nflip=1):
build time, memory, median/p99 single-query latency, batch throughput (1,000 queries, 2
threads), recall against brute force, and the boundary probes (distance exactly 31 must be
found, exactly 32 must not). Queries are stored codes with 0-31 random bits flipped.
Ground truth: faiss IndexBinaryFlat (exact), cross-checked against a numpy popcount scan on
100 queries. faiss' range radius is exclusive, so it is called with threshold + 1.
Prints one JSON line and a table; writes bench/results/pdq_index-<N>.json.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from puente.match.near import NearIndex

THRESHOLD = 31


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (f, ctypes.c_size_t)
        for f in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallinfo2.restype = _MallInfo2
except (OSError, AttributeError):  # not glibc
    _libc = None


def heap_mb() -> float:
    """Bytes allocated through malloc now (uordblks + mmapped), in MiB; RSS misses reuse."""
    if _libc is None:
        return float("nan")
    m = _libc.mallinfo2()
    return (m.uordblks + m.hblkhd) / 2**20


def anon_huge_mb() -> float:
    """Anonymous memory of this process on transparent huge pages, in MiB (Linux)."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def flip_rows(rows: np.ndarray, nflips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``rows`` with nflips[i] distinct random bits flipped in row i."""
    bits = np.unpackbits(rows, axis=1)
    keys = rng.random((len(rows), 256))
    order = np.argsort(keys, axis=1)  # a random permutation per row
    for i, k in enumerate(nflips):
        bits[i, order[i, :k]] ^= 1
    return np.packbits(bits, axis=1)


def make_codes(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "uniform":
        return rng.integers(0, 256, (n, 32), dtype=np.uint8)
    # clustered: n/100 centres, each stored ~100 times with 0-40 bits flipped
    centres = rng.integers(0, 256, (max(1, n // 100), 32), dtype=np.uint8)
    out = np.empty((n, 32), np.uint8)
    step = 250_000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        bits = np.unpackbits(centres[rng.integers(0, len(centres), hi - lo)], axis=1)
        k = rng.integers(0, 41, hi - lo)
        pos = rng.integers(0, 256, (hi - lo, 40))
        rows = np.arange(hi - lo)
        for j in range(40):  # up to 40 flips (a repeated position flips back: "0-40 bits")
            sel = k > j
            bits[rows[sel], pos[sel, j]] ^= 1
        out[lo:hi] = np.packbits(bits, axis=1)
    return out


def numpy_range(words: np.ndarray, q: np.ndarray, r: int) -> set[int]:
    d = np.bitwise_count(words ^ q.view(np.uint64)).sum(axis=1, dtype=np.int32)
    return set(np.flatnonzero(d <= r).tolist())


def timed(fn: Any, reps: int) -> list[float]:
    out = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


def run_set(
    kind: str, n: int, nq: int, n_single: int, methods: list[str], seed: int, batch_reps: int = 3
) -> dict:
    import faiss

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    codes = make_codes(n, kind, rng)
    src = rng.choice(n, nq, replace=False)
    queries = flip_rows(codes[src], rng.integers(0, THRESHOLD + 1, nq), rng)
    bsrc = rng.choice(n, 100, replace=False)
    q31 = flip_rows(codes[bsrc], np.full(100, 31), rng)
    q32 = flip_rows(codes[bsrc], np.full(100, 32), rng)
    print(f"[{kind}] generated {n:,} codes in {time.perf_counter() - t0:.1f}s", flush=True)

    # ground truth: faiss flat (exact), cross-checked with numpy on 100 queries
    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    faiss.omp_set_num_threads(2)

    def faiss_sets(index: Any, qs: np.ndarray) -> list[set[int]]:
        lims, _, ids = index.range_search(qs, THRESHOLD + 1)
        return [set(ids[lims[i] : lims[i + 1]].tolist()) for i in range(len(qs))]

    truth = faiss_sets(flat, queries)
    truth31, truth32 = faiss_sets(flat, q31), faiss_sets(flat, q32)
    words = codes.view(np.uint64)
    for i in range(100):
        assert numpy_range(words, queries[i], THRESHOLD) == truth[i], "ground truth disagrees"
    n_true = sum(len(t) for t in truth)
    del flat
    gc.collect()
    res: dict[str, Any] = {
        "codes": n,
        "raw_mb": codes.nbytes / 2**20,
        "queries": nq,
        "true_matches": n_true,
        "methods": {},
    }

    for name in methods:
        gc.collect()
        h0 = heap_mb()
        t0 = time.perf_counter()
        if name == "near":
            index: Any = NearIndex(codes)
        elif name == "faiss_flat":
            index = faiss.IndexBinaryFlat(256)
            index.add(codes)
        else:
            index = faiss.IndexBinaryMultiHash(256, 16, 16)
            index.nflip = 1
            index.add(codes)
        build = time.perf_counter() - t0
        heap = heap_mb() - h0
        r: dict[str, Any] = {"build_s": build, "heap_mb": heap}
        if name == "near":
            r["index_mb"] = index.nbytes / 2**20
            r["plan"] = [(c.width, c.radius) for c in index.plan.chunks] if index.plan else None
            # the index holds its own copy of the codes (counted once, in nbytes)
            r["memory_mb"] = index.nbytes / 2**20
            # huge pages matter to the random reads (numpy madvises arrays >= 4 MiB)
            r["anon_huge_mb"] = anon_huge_mb()

            def single(i: int, ix: Any = index) -> Any:
                return ix.query(queries[i], THRESHOLD)

            def batch(qs: np.ndarray, ix: Any = index) -> list[set[int]]:
                return [{e for e, _ in m} for m in ix.query_batch(qs, THRESHOLD, threads=2)]

            index.query(queries[0], THRESHOLD)  # compile / warm up
        else:
            r["memory_mb"] = heap
            faiss.omp_set_num_threads(1)

            def single(i: int, ix: Any = index) -> Any:
                return ix.range_search(queries[i : i + 1], THRESHOLD + 1)

            def batch(qs: np.ndarray, ix: Any = index) -> list[set[int]]:
                return faiss_sets(ix, qs)

        ts = timed(single, n_single)
        r["single_ms_median"] = statistics.median(ts) * 1e3
        r["single_ms_p99"] = float(np.percentile(ts, 99)) * 1e3
        if name != "near":
            faiss.omp_set_num_threads(2)
        walls, cpus = [], []
        # median of a few runs (one is noisy on a shared machine); faiss flat once: at 10M one
        # batch takes minutes
        for _ in range(batch_reps if name == "near" else 1):
            t0, c0 = time.perf_counter(), time.process_time()
            got = batch(queries)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        r["batch_qps_2threads"] = nq / wall
        r["batch_qps_reps"] = [nq / w for w in walls]
        # on a shared machine the 2 threads rarely get 2 cores: record how many they got
        r["batch_cores_busy"] = cpu / wall
        r["batch_qps_per_busy_core"] = nq / cpu
        found = sum(len(g & t) for g, t in zip(got, truth, strict=True))
        extra = sum(len(g - t) for g, t in zip(got, truth, strict=True))
        r["recall"] = found / max(1, n_true)
        r["false_hits"] = extra
        g31, g32 = batch(q31), batch(q32)
        r["boundary31_found"] = sum(int(s) in g for s, g in zip(bsrc, g31, strict=True)) / 100
        r["boundary31_recall"] = sum(len(g & t) for g, t in zip(g31, truth31, strict=True)) / max(
            1, sum(map(len, truth31))
        )
        r["boundary32_false"] = sum(int(s) in g for s, g in zip(bsrc, g32, strict=True))
        r["boundary32_extra"] = sum(len(g - t) for g, t in zip(g32, truth32, strict=True))
        res["methods"][name] = r
        print(f"[{kind}] {name}: " + json.dumps(_round(r)), flush=True)
        index = None
        gc.collect()
    return res


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--full", action="store_true", help="N = 10,000,000")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--single", type=int, default=None, help="queries timed one by one")
    ap.add_argument("--sets", default="uniform,clustered")
    ap.add_argument("--methods", default="near,faiss_flat,faiss_mih16")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch-reps", type=int, default=3, help="NearIndex batch runs (median)")
    args = ap.parse_args()
    n = 10_000_000 if args.full else args.n
    n_single = args.single or (300 if n > 3_000_000 else args.queries)
    import faiss

    out: dict[str, Any] = {
        "bench": "pdq_index",
        "threshold": THRESHOLD,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "load_average_start": os.getloadavg(),
        "sets": {},
    }
    for kind in args.sets.split(","):
        out["sets"][kind] = run_set(
            kind, n, args.queries, n_single, args.methods.split(","), args.seed, args.batch_reps
        )
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"pdq_index-{n}.json").write_text(json.dumps(_round(out), indent=1))
    print(json.dumps(_round(out)))
    hdr = (
        f"{'set':10} {'method':12} {'build s':>8} {'mem MB':>8} {'1q med ms':>10} {'1q p99':>8}"
        f" {'batch q/s':>10} {'cores':>6} {'recall':>7} {'d31':>5} {'d32':>4} {'vs flat':>8}"
    )
    print(hdr)
    for kind, s in out["sets"].items():
        flat = s["methods"].get("faiss_flat", {}).get("single_ms_median")
        for name, r in s["methods"].items():
            ratio = f"{flat / r['single_ms_median']:.1f}x" if flat else "-"
            print(
                f"{kind:10} {name:12} {r['build_s']:8.2f} {r['memory_mb']:8.0f}"
                f" {r['single_ms_median']:10.3f} {r['single_ms_p99']:8.3f}"
                f" {r['batch_qps_2threads']:10.0f} {r['batch_cores_busy']:6.2f} {r['recall']:7.3f}"
                f" {r['boundary31_found']:5.2f} {r['boundary32_false']:4d} {ratio:>8}"
            )
    print(f"raw codes: {n * 32 / 2**20:.0f} MB; 'vs flat' = faiss flat median / method median;")
    print("'cores' = CPU time / wall time during the batch (2 threads; < 2 on a shared machine)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
