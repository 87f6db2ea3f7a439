"""Triage use cases: cases, evidence, custody, scans and their results.

The only place where cases, ingest, matching and the store meet. Every action that
changes a case is written to its custody log in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from puente.cases import custody as chain
from puente.cases.model import Case, CustodyEntry, EvidenceItem, Scan, ScanItem
from puente.errors import InputError, IntegrityError, Problem
from puente.store.cases import CaseStore


def parse_when(text: str, what: str = "date") -> datetime:
    """ISO 8601 date or date-time; without an offset it is taken as UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"{what} {text!r} is not an ISO 8601 date or date-time (e.g. 2026-03-01T10:30Z)"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def create_case(
    engine: Engine,
    title: str,
    country: str,
    agency: str,
    operator: str,
    *,
    reference: str | None = None,
) -> Case:
    return CaseStore(engine).create_case(title, country, agency, reference, operator)


def add_evidence(
    engine: Engine,
    case_id: int,
    path: Path,
    description: str,
    operator: str,
    *,
    acquired_by: str | None = None,
    acquired_at: datetime | None = None,
    source_hash: str | None = None,
) -> EvidenceItem:
    """Register evidence by its absolute path; the path must exist (it is never written)."""
    store = CaseStore(engine)
    store.get_case(case_id)
    if not path.exists() and not path.is_symlink():
        raise InputError(f"evidence path {str(path)!r} does not exist")
    resolved = path.resolve()
    if not (resolved.is_dir() or resolved.is_file()):
        raise InputError(f"evidence path {str(path)!r} is neither a folder nor a regular file")
    return store.add_evidence(
        case_id,
        str(resolved),
        description,
        operator,
        acquired_by=acquired_by,
        acquired_at=acquired_at,
        source_hash=source_hash,
    )


@dataclass(frozen=True)
class CustodyReport:
    case: Case
    entries: tuple[CustodyEntry, ...]
    problems: tuple[Problem, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def custody_report(engine: Engine, case_id: int) -> CustodyReport:
    store = CaseStore(engine)
    case = store.get_case(case_id)
    entries = store.custody(case_id)
    problems = chain.verify(entries, case_id=case_id, head=store.custody_head(case_id))
    return CustodyReport(case, tuple(entries), tuple(problems))


def verify_custody(engine: Engine, case_id: int) -> CustodyReport:
    """The custody report, or an IntegrityError naming every broken entry."""
    report = custody_report(engine, case_id)
    if report.problems:
        lines = "; ".join(str(p) for p in report.problems)
        raise IntegrityError(
            f"custody log of case {case_id} is broken ({len(report.problems)} problem(s)): {lines}"
        )
    return report


def results(
    engine: Engine,
    case_id: int,
    *,
    matched_only: bool = False,
    category: str | None = None,
    scan_id: int | None = None,
) -> tuple[list[Scan], list[ScanItem]]:
    """Stored items of the newest scan of each evidence item (or of one given scan)."""
    store = CaseStore(engine)
    if scan_id is not None:
        scan = store.get_scan(scan_id)
        if scan.case_id != case_id:
            raise InputError(f"scan {scan_id} does not belong to case {case_id}")
        scans = [scan]
    else:
        scans = store.latest_scans(case_id)
    items = list(store.items([s.id for s in scans], matched_only=matched_only, category=category))
    return scans, items
