"""What changed between two versions of the packs: status and citation per finding."""

from __future__ import annotations

from dataclasses import dataclass

from puente.legal.schema import Catalog


@dataclass(frozen=True)
class Change:
    country: str
    criterion_id: str
    kind: str  # "status" | "citation" | "added" | "removed"
    old_status: str | None
    new_status: str | None
    old_citation: str | None
    new_citation: str | None


def diff(old: Catalog, new: Catalog) -> tuple[Change, ...]:
    """Changes from ``old`` to ``new``, country by country in network order."""
    changes: list[Change] = []
    codes = [c for c in new.countries if c in old.countries]
    for code in [c for c in old.countries if c not in new.countries]:
        changes.append(Change(code, "*", "removed", None, None, None, None))
    for code in [c for c in new.countries if c not in old.countries]:
        changes.append(Change(code, "*", "added", None, None, None, None))
    for code in codes:
        before = {f.criterion_id: f for f in old.findings(code)}
        after = {f.criterion_id: f for f in new.findings(code)}
        for cid in [*after, *(k for k in before if k not in after)]:
            a, b = before.get(cid), after.get(cid)
            if a is None or b is None:
                kind = "added" if a is None else "removed"
                changes.append(
                    Change(
                        code,
                        cid,
                        kind,
                        a.status if a else None,
                        b.status if b else None,
                        a.citation if a else None,
                        b.citation if b else None,
                    )
                )
                continue
            if a.status != b.status:
                changes.append(
                    Change(code, cid, "status", a.status, b.status, a.citation, b.citation)
                )
            elif a.citation != b.citation:
                changes.append(
                    Change(code, cid, "citation", a.status, b.status, a.citation, b.citation)
                )
    return tuple(changes)
