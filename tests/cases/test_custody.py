"""The custody chain: every single-entry modification, deletion, insertion and reordering
is detected and names the entry by seq; an untouched chain verifies."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puente.cases.custody import GENESIS, entry_hash, next_entry, verify
from puente.cases.model import CustodyEntry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
N = 8


def make_log(n: int = N, case_id: int = 7) -> list[CustodyEntry]:
    entries: list[CustodyEntry] = []
    for i in range(n):
        previous = entries[-1] if entries else None
        entries.append(
            next_entry(
                previous,
                case_id,
                T0 + timedelta(minutes=i),
                "examiner-ñ",
                "scan_started" if i else "case_created",
                {"n": i, "path": f"/evidence/{i}", "nested": {"ok": True}},
            )
        )
    return entries


def test_untouched_chain_verifies() -> None:
    log = make_log()
    assert log[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(log))
    assert verify(log, case_id=7, head=(log[-1].seq, log[-1].entry_hash)) == []
    assert verify([], head=(0, GENESIS)) == []


def test_hash_is_deterministic_and_covers_every_field() -> None:
    entry = make_log(1)[0]
    assert entry_hash(entry) == entry.entry_hash
    for field, value in [
        ("seq", 2),
        ("case_id", 8),
        ("at", T0 + timedelta(microseconds=1)),
        ("operator", "someone else"),
        ("action", "export"),
        ("details", {"n": 1}),
        ("prev_hash", "1" * 64),
    ]:
        assert entry_hash(dataclasses.replace(entry, **{field: value})) != entry.entry_hash


def _seqs_named(problems: list[object]) -> set[int]:
    named = set()
    for p in problems:
        text = str(p)
        for seq in range(N + 3):
            if f"seq {seq} " in text or f"seq {seq}:" in text or text.endswith(f"seq {seq}"):
                named.add(seq)
    return named


@pytest.mark.parametrize("index", range(N))
@pytest.mark.parametrize("field", ["operator", "action", "details", "at"])
def test_each_modification_is_detected(index: int, field: str) -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    value = {
        "operator": "mallory",
        "action": "export",
        "details": {"n": 999},
        "at": log[index].at + timedelta(seconds=1),
    }[field]
    log[index] = dataclasses.replace(log[index], **{field: value})
    problems = verify(log, case_id=7, head=head)
    assert problems
    assert index + 1 in _seqs_named(problems)
    assert any("modified" in str(p) for p in problems)


@pytest.mark.parametrize("index", range(N))
def test_modification_with_rehash_is_detected_at_the_next_entry_or_head(index: int) -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    forged = dataclasses.replace(log[index], operator="mallory")
    log[index] = dataclasses.replace(forged, entry_hash=entry_hash(forged))
    problems = verify(log, case_id=7, head=head)
    assert problems
    # The forged entry hashes correctly; what gives it away is the entry after it (or the
    # recorded head, for the last entry).
    assert {index + 1, index + 2} & _seqs_named(problems)


@pytest.mark.parametrize("index", range(N))
def test_each_deletion_is_detected(index: int) -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    deleted = log.pop(index)
    problems = verify(log, case_id=7, head=head)
    assert problems
    assert deleted.seq in _seqs_named(problems)
    assert any("missing" in str(p) or "deleted" in str(p) for p in problems)


@pytest.mark.parametrize("index", range(N + 1))
def test_each_insertion_is_detected(index: int) -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    # The strongest forgery: a well-formed entry chained to its predecessor.
    previous = log[index - 1] if index else None
    forged = next_entry(previous, 7, T0, "mallory", "export", {"forged": True})
    log.insert(index, forged)
    problems = verify(log, case_id=7, head=head)
    assert problems
    assert forged.seq in _seqs_named(problems) or index + 1 in _seqs_named(problems)


def test_insertion_from_another_case_is_named() -> None:
    log = make_log()
    other = make_log(case_id=9)
    log.insert(3, other[3])
    problems = verify(log, case_id=7)
    assert any("case 9" in str(p) for p in problems)


@pytest.mark.parametrize(("i", "j"), [(i, j) for i in range(N) for j in range(i + 1, N)])
def test_each_reordering_is_detected(i: int, j: int) -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    log[i], log[j] = log[j], log[i]
    problems = verify(log, case_id=7, head=head)
    assert problems
    assert {i + 1, j + 1} <= _seqs_named(problems)


def test_truncation_without_head_is_invisible_but_with_head_is_named() -> None:
    log = make_log()
    head = (log[-1].seq, log[-1].entry_hash)
    truncated = log[:-2]
    assert verify(truncated) == []
    problems = verify(truncated, head=head)
    assert problems and "missing" in str(problems[0]) and "seq 7-8" in str(problems[0])


def test_every_single_byte_flip_of_a_stored_field_is_detected() -> None:
    log = make_log(4)
    head = (log[-1].seq, log[-1].entry_hash)
    for index, entry in enumerate(log):
        for field in ("operator", "action", "prev_hash", "entry_hash"):
            text = getattr(entry, field)
            for pos in range(len(text)):
                flipped = text[:pos] + chr(ord(text[pos]) ^ 1) + text[pos + 1 :]
                tampered = list(log)
                tampered[index] = dataclasses.replace(entry, **{field: flipped})
                assert verify(tampered, head=head), (index, field, pos)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=12),
    kind=st.sampled_from(["flip", "delete", "insert", "swap", "truncate", "rehash"]),
    data=st.data(),
)
def test_random_single_mutations_are_always_detected(n: int, kind: str, data: Any) -> None:
    log = make_log(n)
    head = (log[-1].seq, log[-1].entry_hash)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    if kind == "flip":
        field = data.draw(st.sampled_from(["operator", "action", "prev_hash", "entry_hash"]))
        text = getattr(log[i], field)
        pos = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
        flipped = text[:pos] + chr(ord(text[pos]) ^ 1) + text[pos + 1 :]
        log[i] = dataclasses.replace(log[i], **{field: flipped})
    elif kind == "delete":
        del log[i]
    elif kind == "insert":
        log.insert(i, next_entry(log[i - 1] if i else None, 7, T0, "x", "export", {}))
    elif kind == "swap":
        if n < 2:
            return
        j = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != i))
        log[i], log[j] = log[j], log[i]
    elif kind == "truncate":
        del log[i:]
    else:
        forged = dataclasses.replace(log[i], details={"forged": True})
        log[i] = dataclasses.replace(forged, entry_hash=entry_hash(forged))
    assert verify(log, case_id=7, head=head)
