"""The custody log as a pure hash chain.

Each entry commits to the one before it: ``entry_hash = sha256(canonical JSON of the entry
including prev_hash)``; the first entry's prev_hash is 64 zeros. The store also keeps the
head (last seq and hash) beside the case, so that dropping entries from the end is seen too.
``verify`` never stops at the first problem: it names every entry (by seq) that was
modified, deleted, inserted or moved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from puente.cases.model import CustodyEntry, utc
from puente.errors import Problem

GENESIS = "0" * 64


def _timestamp(at: datetime) -> str:
    return utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    seq: int,
    case_id: int,
    at: datetime,
    operator: str,
    action: str,
    details: dict[str, Any],
    prev_hash: str,
) -> bytes:
    """The exact bytes an entry's hash covers (sorted keys, no whitespace, UTF-8)."""
    body = {
        "seq": seq,
        "case_id": case_id,
        "at": _timestamp(at),
        "operator": operator,
        "action": action,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: CustodyEntry) -> str:
    data = canonical(
        entry.seq,
        entry.case_id,
        entry.at,
        entry.operator,
        entry.action,
        entry.details,
        entry.prev_hash,
    )
    return hashlib.sha256(data).hexdigest()


def next_entry(
    previous: CustodyEntry | None,
    case_id: int,
    at: datetime,
    operator: str,
    action: str,
    details: dict[str, Any],
) -> CustodyEntry:
    """The entry that follows ``previous`` (None: the first entry of the case)."""
    # Round-trip details through JSON so what is hashed is what the store gives back.
    details = json.loads(json.dumps(details, sort_keys=True, ensure_ascii=False))
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.entry_hash if previous else GENESIS
    # Microsecond precision is what both SQLite and PostgreSQL store.
    at = utc(at)
    body = canonical(seq, case_id, at, operator, action, details, prev_hash)
    return CustodyEntry(
        seq=seq,
        case_id=case_id,
        at=at,
        operator=operator,
        action=action,
        details=details,
        prev_hash=prev_hash,
        entry_hash=hashlib.sha256(body).hexdigest(),
    )


def verify(
    entries: Sequence[CustodyEntry],
    *,
    case_id: int | None = None,
    head: tuple[int, str] | None = None,
) -> list[Problem]:
    """Every problem in the chain, each naming the entry by seq; an empty list: intact.

    ``entries`` in stored order; ``head`` is the (seq, hash) of the last entry as recorded
    with the case, when known.
    """
    problems: list[Problem] = []
    previous: CustodyEntry | None = None
    for position, entry in enumerate(entries, start=1):
        where = f"custody entry seq {entry.seq} (position {position})"
        if case_id is not None and entry.case_id != case_id:
            problems.append(
                Problem(where, f"belongs to case {entry.case_id}, not case {case_id} (inserted)")
            )
        if entry_hash(entry) != entry.entry_hash:
            problems.append(Problem(where, "content does not match its hash (entry modified)", ""))
        expected_seq = previous.seq + 1 if previous else 1
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                missing = (
                    f"seq {expected_seq}"
                    if entry.seq == expected_seq + 1
                    else f"seq {expected_seq}-{entry.seq - 1}"
                )
                what = f"expected seq {expected_seq}: {missing} missing (deleted) or order changed"
            else:
                what = f"expected seq {expected_seq}: entry inserted or order changed"
            problems.append(Problem(where, what))
        expected_prev = previous.entry_hash if previous else GENESIS
        if entry.prev_hash != expected_prev:
            before = f"seq {previous.seq}" if previous else "the start of the log"
            problems.append(
                Problem(
                    where,
                    f"does not chain to {before} (an entry was modified, deleted, inserted "
                    "or reordered here)",
                )
            )
        previous = entry
    if head is not None:
        head_seq, head_hash = head
        if previous is None:
            if head_seq:
                problems.append(
                    Problem(f"custody entries seq 1-{head_seq}", "missing: the log is empty")
                )
        elif previous.seq != head_seq or previous.entry_hash != head_hash:
            if previous.seq < head_seq:
                what = f"missing (deleted): the recorded head is seq {head_seq}"
                where = f"custody entries seq {previous.seq + 1}-{head_seq}"
                if previous.seq + 1 == head_seq:
                    where = f"custody entry seq {head_seq}"
            else:
                where = f"custody entry seq {previous.seq}"
                what = (
                    f"the log ends here but the recorded head is seq {head_seq} "
                    "(entry appended outside Puente, or last entry modified)"
                )
            problems.append(Problem(where, what))
    return problems
