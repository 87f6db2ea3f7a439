"""Triage commands: cases, evidence, custody, scan, results, export and report."""

from __future__ import annotations

import csv
import gc
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from puente.cases.model import Case, CustodyEntry, EvidenceItem, Scan, ScanItem, ScanMatch
from puente.cli.common import console, engine, err_console, print_json, print_table, settings
from puente.flows import triage as flow

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

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


class _ProgressBar(flow.ScanObserver):
    """Files, bytes, matches, errors and ETA on stderr (stdout stays clean for --json)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.files = self.matches = self.errors = 0
        self.total_files = 0

    def started(self, scan: Scan, total_files: int, total_bytes: int, resumed: bool) -> None:
        self.total_files = total_files
        label = f"scan {scan.id}" + (" (resumed)" if resumed else "")
        self.task = self.progress.add_task(label, total=max(total_bytes, 1), **self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "files": f"{self.files}/{self.total_files}",
            "matches": self.matches,
            "errors": self.errors,
        }

    def _advance(self, size: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=size, **self._fields())

    def skipped(self, path: str) -> None:
        self.files += 1
        self._advance(0)

    def stored(self, item: ScanItem) -> None:
        if item.matched:
            self.matches += 1
        if item.status != "ok":
            self.errors += 1
        # Count what plan() counted: top-level regular files (not links, folders, FIFOs).
        if (
            item.depth == 0
            and item.status != "skipped_special"
            and item.kind not in ("inode/symlink", "inode/directory")
        ):
            self.files += 1
            self._advance(item.size or 0)
        else:
            self._advance(0)


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("files {task.fields[files]}"),
        DownloadColumn(),
        TextColumn("matches [red]{task.fields[matches]}[/]"),
        TextColumn("errors [yellow]{task.fields[errors]}[/]"),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def scan(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    evidence_id: int = typer.Argument(..., metavar="EVIDENCE_ID", help="Evidence item id."),
    hashsets: list[str] | None = typer.Option(
        None, "--hashsets", help="Hash sets to match against (repeat or a,b; default: all)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes (default: PUENTE_WORKERS, all cores)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted scan."),
    operator: str | None = OPERATOR,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Hash every file and archive member of the evidence (read-only) and match it."""
    args: dict[str, Any] = {
        # Repeat the option or separate names with commas: --hashsets a,b
        "hashsets": [n.strip() for v in hashsets or () for n in v.split(",") if n.strip()] or None,
        "workers": workers,
        "resume": resume,
    }
    db, config, who = engine(), settings(), _operator(operator)
    # What start-up built (modules, settings, the engine) outlives the scan: frozen, the
    # garbage collector stops walking it again and again while the scan allocates a few
    # objects per file (~0.2 CPU-s per 20,000 files, on the cores the workers need).
    gc.freeze()
    try:
        if quiet or (as_json and not err_console.is_terminal):
            summary = flow.scan_evidence(db, config, case_id, evidence_id, who, **args)
        else:
            with _progress() as progress:
                summary = flow.scan_evidence(
                    db,
                    config,
                    case_id,
                    evidence_id,
                    who,
                    observer=_ProgressBar(progress),
                    **args,
                )
    finally:
        gc.unfreeze()
    data = {"scan": asdict(summary.scan), "resumed": summary.resumed, "counts": summary.counts}
    if as_json:
        print_json(data)
        return
    c = summary.counts
    console.print(
        f"scan {summary.scan.id} finished: {c['files']} files, {c['items']} items, "
        f"{c['matched']} matched, {summary.errors} errors/limits "
        f"(see 'puente results {case_id}')",
        highlight=False,
        soft_wrap=True,
    )


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


RESULT_COLUMNS = (
    "scan",
    "path",
    "size",
    "kind",
    "md5",
    "sha1",
    "sha256",
    "status",
    "detail",
    "depth",
    "container",
    "categories",
    "sets",
    "pdq",
    "pdq_quality",
    "pdq_decode_mode",
    "matches",
)


def _match_text(m: ScanMatch) -> str:
    """One match in a line: how (exact algorithm, or perceptual with distance and variant),
    set and category."""
    where = f"{m.set_name}@{m.set_version}".rstrip("@")
    if m.algorithm == "pdq":
        how = f"pdq distance {m.distance} quality {m.quality} {m.variant}"
    elif m.algorithm == "vpdq":
        how = f"vpdq {m.detail}" if m.detail else "vpdq"
    else:
        how = f"{m.algorithm} exact"
    return f"{how} {where} {m.category}"


def _result_row(item: ScanItem) -> dict[str, Any]:
    return {
        "scan": item.scan_id,
        "path": item.path,
        "size": item.size,
        "kind": item.kind,
        "md5": item.md5,
        "sha1": item.sha1,
        "sha256": item.sha256,
        "status": item.status,
        "detail": item.detail,
        "depth": item.depth,
        "container": item.container,
        "categories": ";".join(item.categories),
        "sets": ";".join(
            sorted({f"{m.set_name}@{m.set_version}".rstrip("@") for m in item.matches})
        ),
        "pdq": item.pdq,
        "pdq_quality": item.pdq_quality,
        "pdq_decode_mode": item.pdq_decode_mode,
        "matches": "; ".join(_match_text(m) for m in item.matches),
    }


def results(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    matched: bool = typer.Option(False, "--matched", help="Only items that matched a set."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    scan_id: int | None = typer.Option(
        None, "--scan", help="One scan (default: the newest scan of each evidence item)."
    ),
    fmt: ResultFormat = typer.Option(ResultFormat.table, "--format", help="table, csv or json."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """List scan results: every file, member, error and limit hit, with matches."""
    _, items = flow.results(
        engine(), case_id, matched_only=matched, category=category, scan_id=scan_id
    )
    if as_json or fmt is ResultFormat.json:
        print_json(
            [
                {
                    **_result_row(i),
                    "matches": [asdict(m) for m in i.matches],
                    "mtime": i.mtime,
                    "pdq_dihedral": i.pdq_dihedral.split(",") if i.pdq_dihedral else None,
                    "vpdq": i.vpdq,
                }
                for i in items
            ]
        )
    elif fmt is ResultFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(RESULT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for i in items:
            writer.writerow(_result_row(i))
    else:
        print_table(
            f"Results of case {case_id} ({len(items)} items)",
            ["path", "size", "kind", "md5", "pdq (quality)", "status", "categories", "matches"],
            [
                (
                    i.path,
                    i.size,
                    i.kind,
                    i.md5,
                    f"{i.pdq[:16]}… ({i.pdq_quality})" if i.pdq else "",
                    i.status + (f": {i.detail}" if i.detail else ""),
                    ";".join(i.categories),
                    "\n".join(_match_text(m) for m in i.matches),
                )
                for i in items
            ],
        )


def export(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    fmt: str = typer.Option(..., "--format", help="vics (VICS 2.0 case) or case (CASE/UCO)."),
    output: Path = typer.Option(..., "--output", help="File to write (JSON / JSON-LD)."),
    operator: str | None = OPERATOR,
) -> None:
    """Export the case's hashes for other tools (Griffeye, IPED…) or as CASE/UCO JSON-LD."""
    path = flow.export_case(
        engine(), settings(), case_id, _operator(operator), fmt=fmt, output=output
    )
    console.print(f"{fmt} export written: {path}", highlight=False, soft_wrap=True)


def report(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    fmt: str = typer.Option("html", "--format", help="html, pdf or json."),
    lang: str | None = typer.Option(None, "--lang", help="es, pt or en (default PUENTE_LANG)."),
    output: Path | None = typer.Option(
        None, "--output", help="File to write (default: PUENTE_HOME/reports/…)."
    ),
    operator: str | None = OPERATOR,
) -> None:
    """Write the court-ready report (hashes only) and record it in the custody log."""
    path = flow.write_report(
        engine(), settings(), case_id, _operator(operator), fmt=fmt, lang=lang, output=output
    )
    console.print(f"report written: {path}", highlight=False, soft_wrap=True)


def run_demo(*, quiet: bool = False, lang: str | None = None, images: int = 300) -> Path:
    """The triage demo for `puente demo` / `make run`: prints the report path and a summary.

    Not registered here; the demo command calls it.
    """
    from puente.flows.triage_demo import run_triage_demo

    def say(message: str) -> None:
        if not quiet:
            err_console.print(message, highlight=False)

    if quiet:
        result = run_triage_demo(settings(), engine(), say, lang=lang, images=images)
    else:
        with _progress() as progress:
            result = run_triage_demo(
                settings(),
                engine(),
                say,
                observer=_ProgressBar(progress),
                lang=lang,
                images=images,
            )
    c = result.summary
    console.print(
        f"demo case {result.case_id}: {c['files']} files, {c['items']} items (archive members "
        f"included), {c['matched']} matched the demo set, "
        f"{c['items'] - c.get('status_ok', 0)} errors/limits recorded",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"evidence: {result.evidence}", highlight=False, soft_wrap=True)
    console.print(f"report:   {result.report}", highlight=False, soft_wrap=True)
    return result.report


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(case_app, name="case")
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(custody_app, name="custody")
    app.command("scan")(scan)
    app.command("results")(results)
    app.command("export")(export)
    app.command("report")(report)
