from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from puente.errors import InvalidHash
from puente.match.near import (
    Chunk,
    NearIndex,
    Plan,
    _radii_for,
    brute_force,
    codes_from_hex,
    plan_chunks,
)


def flip(code: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(code)
    pos = rng.choice(256, n, replace=False)
    bits[pos] ^= 1
    return np.packbits(bits)


def clustered(n: int, rng: np.random.Generator) -> np.ndarray:
    """Many near-duplicates: a few hundred centres, each copied with 0-40 flipped bits."""
    centres = rng.integers(0, 256, (max(1, n // 50), 32), dtype=np.uint8)
    out = np.empty((n, 32), np.uint8)
    for i in range(n):
        out[i] = flip(centres[rng.integers(len(centres))], int(rng.integers(0, 41)), rng)
    return out


SMALL_PLAN = Plan(
    chunks=tuple(Chunk(16 * i, 16, 1) for i in range(16)), est_candidates=0, probes=0, index_bytes=0
)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.concatenate([rng.integers(0, 256, (1500, 32), dtype=np.uint8), clustered(1500, rng)])


@pytest.fixture(scope="module", params=["planned16", "planned-uneven", "scan"])
def index(request: pytest.FixtureRequest, data: np.ndarray) -> NearIndex:
    if request.param == "scan":
        return NearIndex(data, plan=False)
    if request.param == "planned16":
        return NearIndex(data, plan=SMALL_PLAN)
    # the kind of plan chosen for 10M codes: mixed widths and radii 1 and 2
    widths = [22] * 8 + [20] * 4
    starts = np.cumsum([0, *widths[:-1]])
    chunks = tuple(
        Chunk(int(s), w, 2 if w == 22 else 1) for s, w in zip(starts, widths, strict=True)
    )
    return NearIndex(data, plan=Plan(chunks, 0, 0, 0))


def test_agrees_with_brute_force(index: NearIndex, data: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    for i in rng.choice(len(data), 60, replace=False):
        q = flip(data[i], int(rng.integers(0, 32)), rng)
        for t in (0, 10, 31):
            assert index.query(q, t) == brute_force(data, q.tobytes(), t)


def test_boundary_31_matches_32_does_not(index: NearIndex, data: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    for i in rng.choice(1500, 40, replace=False):  # uniform part: no other code near
        q31, q32 = flip(data[i], 31, rng), flip(data[i], 32, rng)
        assert (int(i), 31) in index.query(q31, 31)
        assert all(e != i for e, _ in index.query(q32, 31))
        assert (int(i), 32) in index.query(q32, 32)


def test_batch_equals_single(index: NearIndex, data: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    qs = np.stack([flip(data[i], int(rng.integers(0, 32)), rng) for i in range(0, 3000, 37)])
    batch = index.query_batch(qs, 31, threads=2, block=16)
    assert batch == [index.query(q, 31) for q in qs]


def test_numpy_and_compiled_paths_agree(data: np.ndarray) -> None:
    a = NearIndex(data, plan=SMALL_PLAN, compiled=True)
    b = NearIndex(data, plan=SMALL_PLAN, compiled=False)
    rng = np.random.default_rng(4)
    qs = np.stack([flip(data[i], 20, rng) for i in range(2000, 2100)])
    assert a.query_batch(qs) == b.query_batch(qs)
    assert [a.query(q) for q in qs[:10]] == [b.query(q) for q in qs[:10]]


def test_threshold_above_plan_falls_back_to_exact_scan(index: NearIndex, data: np.ndarray) -> None:
    q = data[5]
    assert index.query(q, 60) == brute_force(data, q.tobytes(), 60)


def test_complement_is_256_bits_away() -> None:
    """The uint8 popcount sum wraps 256 to 0; a complement must not look identical."""
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (100, 32), dtype=np.uint8)
    codes[7] = ~codes[3]
    for ix in (NearIndex(codes, plan=False), NearIndex(codes, plan=SMALL_PLAN, compiled=False)):
        assert (7, 0) not in ix.query(codes[3], 31)
        assert ix.query(codes[3], 256)[-1] == (7, 256) or (7, 256) in ix.query(codes[3], 256)


def test_duplicates_and_order() -> None:
    rng = np.random.default_rng(6)
    base = rng.integers(0, 256, 32, dtype=np.uint8)
    codes = np.stack([base, flip(base, 3, rng), base, flip(base, 1, rng)])
    ix = NearIndex(codes, plan=SMALL_PLAN)
    assert ix.query(base) == [(0, 0), (2, 0), (3, 1), (1, 3)]


def test_hex_input_and_errors() -> None:
    hexes = ["00" * 32, "ff" * 32, "0f" * 32]
    ix = NearIndex(hexes)
    assert ix.query("00" * 32, 0) == [(0, 0)]
    assert ix.query("00" * 31 + "01", 1) == [(0, 1)]
    assert len(ix) == 3 and ix.nbytes >= 96
    with pytest.raises(InvalidHash):
        codes_from_hex(["zz" * 32])
    with pytest.raises(InvalidHash):
        codes_from_hex(["00" * 31])
    with pytest.raises(InvalidHash):
        ix.query("00")
    with pytest.raises(InvalidHash):
        ix.query("zz" * 32)
    assert NearIndex(np.zeros((0, 32), np.uint8)).query("00" * 32) == []


def test_plans_are_exact_and_fit_memory() -> None:
    for n in (100_000, 1_000_000, 10_000_000):
        plan = plan_chunks(n)
        assert plan is not None
        assert sum(c.width for c in plan.chunks) == 256
        assert sum(c.radius + 1 for c in plan.chunks) >= 32  # pigeonhole covers d <= 31
        if n >= 3_000_000:  # below, a 96 MiB floor lets small sets use wider tables
            assert plan.index_bytes <= 2 * 32 * n  # + the codes: <= 3x the raw codes
        for t in range(32):
            radii = _radii_for(plan.chunks, t)
            assert radii is not None and sum(r + 1 for r in radii) >= t + 1
    assert plan_chunks(1000) is None  # small sets are scanned


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    nflip=st.integers(0, 40),
    threshold=st.integers(0, 40),
)
def test_property_range_search_is_exact(seed: int, nflip: int, threshold: int) -> None:
    rng = np.random.default_rng(seed)
    codes = clustered(300, rng)
    q = flip(codes[int(rng.integers(300))], nflip, rng)
    ix = NearIndex(codes, plan=SMALL_PLAN)
    expected = brute_force(codes, q.tobytes(), threshold)
    assert ix.query(q, threshold) == expected
    assert all(d <= threshold for _, d in expected)


def test_match_image_reports_variant_and_skips_low_quality() -> None:
    from dataclasses import replace

    from puente.hashing.pdq import DIHEDRAL_NAMES, PdqResult
    from puente.match.dihedral import match_image, query_hashes

    rng = np.random.default_rng(9)
    stored = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    ix = NearIndex(stored)
    dihedral = tuple(rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(8))
    dihedral = (*dihedral[:3], flip(stored[42], 5, rng).tobytes().hex(), *dihedral[4:])
    res = PdqResult(
        hash_hex=dihedral[0],
        quality=90,
        decode_mode="full",
        dihedral=dihedral,
        width=10,
        height=10,
        format="PNG",
        exif_orientation=1,
        orientation="stored",
        displayed_variant=0,
        stored_variant=0,
        frames=1,
    )
    [m] = match_image(ix, res)
    assert (m.entry_id, m.distance, m.variant) == (42, 5, DIHEDRAL_NAMES[3])
    trimmed = replace(res, trimmed_dihedral=(stored[7].tobytes().hex(), *dihedral[1:]))
    assert len(query_hashes(trimmed)) == 16
    assert [(m.entry_id, m.variant) for m in match_image(ix, trimmed)] == [
        (7, "trimmed:original"),
        (42, "rotate270"),
    ]
    assert match_image(ix, replace(res, quality=20)) == []
    view = (stored[9].tobytes().hex(), *dihedral[1:])
    viewed = replace(res, views=(("cut25-bottom", view),))
    assert len(query_hashes(viewed)) == 16
    assert [(m.entry_id, m.variant) for m in match_image(ix, viewed)] == [
        (9, "cut25-bottom:original"),
        (42, "rotate270"),
    ]


@pytest.mark.parametrize("compiled", [True, False])
def test_batch_with_more_hits_than_the_first_pass_keeps(compiled: bool) -> None:
    """A query with > 64 hits (near-duplicate clusters) among ordinary ones: all exact."""
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, 32, dtype=np.uint8)
    codes = np.concatenate(
        [
            rng.integers(0, 256, (1000, 32), dtype=np.uint8),
            np.stack([flip(base, int(rng.integers(0, 12)), rng) for _ in range(150)]),
        ]
    )
    ix = NearIndex(codes, plan=SMALL_PLAN, compiled=compiled)
    qs = np.stack(
        [flip(codes[i], int(rng.integers(0, 32)), rng) for i in range(0, 1000, 40)]
        + [flip(base, k, rng) for k in (0, 5, 19)]
    )
    got = ix.query_batch(qs, 31, threads=2, block=8)
    assert got == [brute_force(codes, q.tobytes(), 31) for q in qs]
    assert max(map(len, got)) > 64


@pytest.mark.parametrize("plan", [SMALL_PLAN, False])
def test_index_keeps_its_own_aligned_copy(plan: Plan | bool) -> None:
    """The codes are copied (low/high halves, cache-line aligned): the caller may drop or reuse
    its array, and 16-byte rows never straddle a cache line."""
    rng = np.random.default_rng(12)
    codes = rng.integers(0, 256, (400, 32), dtype=np.uint8)
    keep = codes.copy()
    ix = NearIndex(codes[1:], plan=plan)  # an offset view: the source is not aligned
    before = [ix.query(codes[i], 31) for i in range(1, 40)]
    codes[:] = 0
    assert [ix.query(keep[i], 31) for i in range(1, 40)] == before
    assert all(ix.query(keep[i], 0) == [(i - 1, 0)] for i in range(1, 40))
    assert ix._lo.ctypes.data % 64 == 0 and ix._hi.ctypes.data % 64 == 0
    assert ix.nbytes >= 399 * 32


def test_prefetch_hint_compiles_for_any_index_type() -> None:
    """The kernel's prefetch intrinsic takes uint32 ids (the chunk tables) and int64 alike,
    on 1-D and 2-D arrays, and has no effect on results."""
    numba = pytest.importorskip("numba")
    from puente.match._near_kernels import prefetch

    @numba.njit
    def total(rows: np.ndarray, ids: np.ndarray) -> int:
        s = 0
        for i in range(ids.shape[0]):
            prefetch(rows, ids[min(i + 2, ids.shape[0] - 1)])
            prefetch(ids, np.int64(i))
            s += rows[ids[i], 1]
        return s

    rows = np.arange(20, dtype=np.uint64).reshape(10, 2)
    for dtype in (np.uint32, np.int64):
        assert total(rows, np.array([3, 0, 9], dtype)) == 7 + 1 + 19
