from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from puente.hashsets.model import HashSetSummary
from puente.match.exact import ExactIndex, Membership

A = Membership("a", "1", "csam", "1")
B = Membership("b", "2", "non_pertinent", "0")


def test_lookup_returns_every_membership() -> None:
    rows = [
        ("md5", "0" * 32, A),
        ("md5", "0" * 32, B),
        ("sha1", "1" * 40, A),
        ("photodna", "Zm9v" * 48, B),
    ]
    index = ExactIndex(rows, [HashSetSummary("a", "1", "AR", "PFA", "vics2", 2)])
    assert len(index) == 4
    assert index.nbytes() == 2 * (16 + 8 + 4 + 4) + (20 + 8 + 4 + 4)  # key, prefix, code, run
    assert set(index.lookup("md5", "0" * 32)) == {A, B}
    assert index.lookup("md5", "0" * 31 + "1") == ()
    assert index.lookup("sha1", "1" * 40) == (A,)
    assert index.lookup("photodna", "Zm9v" * 48) == (B,)
    assert index.lookup("sha256", "0" * 64) == ()
    assert [s.name for s in index.sets()] == ["a", "b"]
    assert index.sets()[0].owner_agency == "PFA"


def test_lookup_many_handles_case_and_invalid_values() -> None:
    index = ExactIndex([("md5", "ab" * 16, A), ("md5", "0" * 32, B)])
    pairs = [
        ("md5", "AB" * 16),
        ("md5", "zz"),
        ("md5", "ab" * 15),
        ("md5", "0" * 32),
        ("md5", "0" * 31 + "g"),
        ("sha1", "0" * 40),
    ]
    got = index.lookup_many(pairs)
    assert got == {("md5", "AB" * 16): (A,), ("md5", "0" * 32): (B,)}
    assert [got[p] for p in pairs] == [(A,), (), (), (B,), (), ()]


def test_empty_index() -> None:
    index = ExactIndex([])
    assert index.lookup("md5", "0" * 32) == ()
    assert index.sets() == ()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**128 - 1), max_size=200), st.integers(0, 2**32))
def test_agrees_with_a_dict(values: list[int], seed: int) -> None:
    rng = random.Random(seed)
    rows = [("md5", f"{v:032x}", rng.choice([A, B])) for v in values]
    expected: dict[str, set[Membership]] = {}
    for _, v, m in rows:
        expected.setdefault(v, set()).add(m)
    index = ExactIndex(rows)
    probes = [f"{v:032x}" for v in values] + [f"{rng.getrandbits(128):032x}" for _ in range(20)]
    got = index.lookup_many(("md5", p) for p in probes)
    for p in probes:
        assert set(got[("md5", p)]) == expected.get(p, set())


def test_shared_prefix_is_not_a_match() -> None:
    prefix = "ab" * 8
    first, second, absent = prefix + "00" * 8, prefix + "ff" * 8, prefix + "77" * 8
    index = ExactIndex([("md5", first, A), ("md5", second, B), ("md5", second, A)])
    got = index.lookup_many([("md5", first), ("md5", second), ("md5", absent)])
    assert got[("md5", first)] == (A,)
    assert set(got[("md5", second)]) == {A, B}
    assert got[("md5", absent)] == ()
