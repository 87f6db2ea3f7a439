"""Triage commands: cases, evidence, custody, scan, results, export and report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from puente.cases.model import Case, CustodyEntry, EvidenceItem
from puente.cli.common import console, engine, print_json, print_table, settings
from puente.flows import triage as flow

case_app = typer.Typer(help="Cases: create, list and show.", no_args_is_help=True)
evidence_app = typer.Typer(help="Evidence items of a case.", no_args_is_help=True)
custody_app = typer.Typer(help="The hash-chained custody log of a case.", no_args_is_help=True)

OPERATOR = typer.Option(
    None, "--operator", help="Who is operating Puente (default: PUENTE_OPERATOR)."
)


def _operator(value: str | None) -> str:
    return value or settings().operator


def _case_dict(case: Case) -> dict[str, Any]:
    return asdict(case)


def _evidence_dict(item: EvidenceItem) -> dict[str, Any]:
    return asdict(item)


def _entry_dict(entry: CustodyEntry) -> dict[str, Any]:
    return asdict(entry)


@case_app.command("create")
def case_create(
    title: str = typer.Argument(..., help="Title of the case."),
    country: str = typer.Option(..., "--country", help="ISO alpha-2 code of the agency's country."),
    agency: str = typer.Option(..., "--agency", help="Agency (unit) conducting the case."),
    reference: str | None = typer.Option(None, "--reference", help="File or case number."),
    operator: str | None = OPERATOR,
    as_json: bool = typer.Option(False, "--json", help="Print the case as JSON."),
) -> None:
    """Create a case (the first custody entry)."""
    case = flow.create_case(
        engine(), title, country, agency, _operator(operator), reference=reference
    )
    if as_json:
        print_json(_case_dict(case))
    else:
        console.print(f"case {case.id} created: {case.title} ({case.country}, {case.agency})")


@case_app.command("list")
def case_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List cases."""
    from puente.store.cases import CaseStore

    cases = CaseStore(engine()).list_cases()
    if as_json:
        print_json([_case_dict(c) for c in cases])
        return
    print_table(
        "Cases",
        ["id", "title", "country", "agency", "reference", "created (UTC)"],
        [
            (
                c.id,
                c.title,
                c.country,
                c.agency,
                c.reference,
                c.created_at.isoformat(" ", "seconds"),
            )
            for c in cases
        ],
    )


@case_app.command("show")
def case_show(
    case_id: int = typer.Argument(..., metavar="ID", help="Case id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a case with its evidence and scans."""
    from puente.store.cases import CaseStore

    store = CaseStore(engine())
    case = store.get_case(case_id)
    evidence = store.list_evidence(case_id)
    scans = store.scans(case_id)
    if as_json:
        print_json(
            {
                **_case_dict(case),
                "evidence": [_evidence_dict(e) for e in evidence],
                "scans": [asdict(s) for s in scans],
            }
        )
        return
    console.print(f"[bold]case {case.id}[/]: {case.title}", highlight=False)
    console.print(
        f"country {case.country} · agency {case.agency} · reference {case.reference or '-'}"
        f" · created {case.created_at.isoformat(' ', 'seconds')}",
        highlight=False,
    )
    print_table(
        "Evidence",
        ["id", "path", "description", "acquired by", "acquired at", "source hash"],
        [
            (
                e.id,
                e.path,
                e.description,
                e.acquired_by,
                e.acquired_at.isoformat(" ", "seconds") if e.acquired_at else None,
                e.source_hash,
            )
            for e in evidence
        ],
    )
    print_table(
        "Scans",
        ["id", "evidence", "status", "started (UTC)", "finished (UTC)", "hash sets"],
        [
            (
                s.id,
                s.evidence_id,
                s.status,
                s.started_at.isoformat(" ", "seconds"),
                s.finished_at.isoformat(" ", "seconds") if s.finished_at else None,
                ", ".join(f"{h.name}@{h.version}" for h in s.hashsets) or "-",
            )
            for s in scans
        ],
    )


@evidence_app.command("add")
def evidence_add(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    path: Path = typer.Argument(..., help="Folder or file of the evidence (read-only)."),
    description: str = typer.Option(..., "--description", help="What the evidence is."),
    acquired_by: str | None = typer.Option(None, "--acquired-by", help="Who acquired it."),
    acquired_at: str | None = typer.Option(
        None, "--acquired-at", help="When (ISO 8601; UTC unless an offset is given)."
    ),
    source_hash: str | None = typer.Option(
        None, "--source-hash", help="Hash recorded at acquisition, e.g. sha256:HEX."
    ),
    operator: str | None = OPERATOR,
    as_json: bool = typer.Option(False, "--json", help="Print the evidence item as JSON."),
) -> None:
    """Register an evidence item of a case."""
    when = flow.parse_when(acquired_at, "--acquired-at") if acquired_at else None
    item = flow.add_evidence(
        engine(),
        case_id,
        path,
        description,
        _operator(operator),
        acquired_by=acquired_by,
        acquired_at=when,
        source_hash=source_hash,
    )
    if as_json:
        print_json(_evidence_dict(item))
    else:
        console.print(f"evidence {item.id} registered in case {case_id}: {item.path}")


@evidence_app.command("list")
def evidence_list(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the evidence items of a case."""
    from puente.store.cases import CaseStore

    items = CaseStore(engine()).list_evidence(case_id)
    if as_json:
        print_json([_evidence_dict(e) for e in items])
        return
    print_table(
        f"Evidence of case {case_id}",
        ["id", "path", "description", "source hash"],
        [(e.id, e.path, e.description, e.source_hash) for e in items],
    )


@custody_app.command("show")
def custody_show(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the custody log and whether its chain verifies."""
    report = flow.custody_report(engine(), case_id)
    if as_json:
        print_json(
            {
                "case_id": case_id,
                "intact": report.intact,
                "problems": [str(p) for p in report.problems],
                "entries": [_entry_dict(e) for e in report.entries],
            }
        )
        return
    print_table(
        f"Custody log of case {case_id}",
        ["seq", "at (UTC)", "operator", "action", "details", "hash"],
        [
            (
                e.seq,
                e.at.isoformat(" ", "seconds"),
                e.operator,
                e.action,
                ", ".join(f"{k}={v}" for k, v in sorted(e.details.items())),
                e.entry_hash[:16] + "…",
            )
            for e in report.entries
        ],
    )
    if report.intact:
        console.print(f"[green]chain intact[/]: {len(report.entries)} entries")
    else:
        for p in report.problems:
            console.print(f"[red]broken[/]: {p}", highlight=False)


@custody_app.command("verify")
def custody_verify(case_id: int = typer.Argument(..., metavar="CASE", help="Case id.")) -> None:
    """Verify the custody chain; exit 5 naming every broken entry."""
    report = flow.verify_custody(engine(), case_id)
    head = report.entries[-1].entry_hash if report.entries else ""
    console.print(
        f"custody log of case {case_id} verifies: {len(report.entries)} entries, head {head}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(case_app, name="case")
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(custody_app, name="custody")
