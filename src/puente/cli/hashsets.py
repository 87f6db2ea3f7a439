"""``puente hashsets``: the hash-set library (import, export, list, show, stats, diff, …)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from puente.cli.common import console, engine, err_console, print_json, print_table, settings
from puente.errors import InputError
from puente.flows import hashsets as flow
from puente.hashsets.categories import default_category_map
from puente.hashsets.formats import READABLE, WRITABLE
from puente.hashsets.formats.base import ReadOptions
from puente.hashsets.model import CATEGORIES, UNCATEGORISED, HashSetInfo, RowError

app = typer.Typer(
    help="Hash-set library: import, export and compare hash sets.", no_args_is_help=True
)

SHOWN_PROBLEMS = 20


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r} (choose from: {', '.join(choices)})")
    return value


def _info_dict(info: HashSetInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "version": info.version,
        "owner_country": info.owner_country,
        "owner_agency": info.owner_agency,
        "description": info.description,
        "caveats": info.caveats,
        "source_format": info.source_format,
        "status": info.status,
        "entries": info.entry_count,
        "pdq_threshold": info.pdq_threshold,
        "created_at": info.created_at,
        "updated_at": info.updated_at,
    }


def _batch_size() -> int:
    """PUENTE_BATCH_SIZE when set; otherwise bigger batches than scans use (faster imports)."""
    s = settings()
    return s.batch_size if "batch_size" in s.model_fields_set else 50_000


def _reject_writer(fh: IO[str] | None) -> Callable[[RowError], None] | None:
    if fh is None:
        return None

    def write(error: RowError) -> None:
        fh.write(f"{error}\n")

    return write


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., help="Hash-set file (VICS JSON, ICSE CSV, NSRL db, text, CSV)."
    ),
    fmt: str = typer.Option("auto", "--format", "-f", help=f"One of: {', '.join(READABLE)}."),
    name: str = typer.Option(..., "--name", "-n", help="Name of the set in the library."),
    owner_country: str | None = typer.Option(None, help="Owner country (ISO alpha-2)."),
    owner_agency: str | None = typer.Option(None, help="Owner agency."),
    description: str = typer.Option("", help="What the set is."),
    version: str = typer.Option("", help="Version of the set as its owner names it."),
    caveats: str = typer.Option("", help="Handling caveats / licence."),
    category: str = typer.Option(
        UNCATEGORISED, help=f"Category for formats that carry none (text): {', '.join(CATEGORIES)}."
    ),
    scheme: str | None = typer.Option(
        None, help="Category scheme of the source, overriding the format's (e.g. vics_legacy)."
    ),
    algorithm: str | None = typer.Option(
        None,
        help=(
            "Text only: algorithm of every line (e.g. pdq for 64-hex PDQ lists; a bare 64-hex "
            "line is sha256 otherwise, unless a '# algorithm: pdq' line precedes it)."
        ),
    ),
    strict: bool = typer.Option(False, "--strict", help="Commit nothing if any row is bad."),
    rejects: Path | None = typer.Option(
        None, help="Write every rejected row here (file:line: reason)."
    ),
    pdq_threshold: int | None = typer.Option(
        None,
        min=0,
        max=256,
        help="PDQ match distance for this set (default: PUENTE_PDQ_THRESHOLD, 31).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable result."),
) -> None:
    """Import a hash-set file; bad rows are listed with file:line and reason."""
    _check_choice(fmt, READABLE, "format")
    _check_choice(category, CATEGORIES, "category")
    if scheme is not None:
        default_category_map().scheme(scheme)
    if owner_country is not None:
        owner_country = owner_country.strip().upper()
        if len(owner_country) != 2 or not owner_country.isalpha():
            raise InputError(f"--owner-country must be an ISO alpha-2 code, got {owner_country!r}")
    info = HashSetInfo(
        name=name,
        version=version,
        owner_country=owner_country,
        owner_agency=owner_agency,
        description=description,
        caveats=caveats,
        pdq_threshold=pdq_threshold,
    )
    options = ReadOptions(scheme=scheme, category=category, algorithm=algorithm)
    reject_fh = rejects.open("w", encoding="utf-8") if rejects else None
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[entries]:,} entries"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=quiet or as_json,
            transient=True,
        ) as bar:
            task = bar.add_task(f"import {file.name}", total=None, entries=0)

            def on_progress(done: int, total: int, entries: int) -> None:
                if total == 0:  # the last phase: entries written in key order
                    bar.update(task, description=f"write {name}", total=None, entries=entries)
                else:
                    bar.update(task, completed=done, total=total, entries=entries)

            result = flow.import_file(
                engine(),
                file,
                info,
                fmt=fmt,
                strict=strict,
                options=options,
                batch_size=_batch_size(),
                operator=settings().operator,
                on_progress=on_progress,
                on_reject=_reject_writer(reject_fh),
            )
    finally:
        if reject_fh is not None:
            reject_fh.close()
    if as_json:
        print_json(
            {
                "set": _info_dict(result.set),
                "format": result.format,
                "rows_read": result.rows_read,
                "entries_read": result.entries_read,
                "entries_added": result.entries_added,
                "duplicates": result.duplicates,
                "rejected": result.rejected,
                "resumed": result.resumed,
                "problems": [str(p) for p in result.problems],
            }
        )
        return
    verb = "resumed and completed" if result.resumed else "imported"
    console.print(
        f"{verb} [bold]{result.set.name}[/] ({result.format}): {result.entries_added:,} entries "
        f"added from {result.rows_read:,} rows; {result.duplicates:,} duplicates skipped; "
        f"{result.rejected:,} rows rejected; set now has {result.set.entry_count:,} entries",
        highlight=False,
    )
    for problem in result.problems[:SHOWN_PROBLEMS]:
        err_console.print(f"[yellow]rejected:[/] {problem}", highlight=False, soft_wrap=True)
    if result.rejected > SHOWN_PROBLEMS:
        more = result.rejected - SHOWN_PROBLEMS
        hint = f" (all in {rejects})" if rejects else " (use --rejects FILE to list all)"
        err_console.print(f"[yellow]… {more:,} more rejected rows{hint}[/]", highlight=False)
    for note in result.notes[:SHOWN_PROBLEMS]:
        err_console.print(f"[dim]note:[/] {note}", highlight=False, soft_wrap=True)


@app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List the hash sets in the library."""
    sets = flow.list_sets(engine())
    if as_json:
        print_json([_info_dict(s) for s in sets])
        return
    print_table(
        "hash sets",
        ["name", "version", "owner", "format", "entries", "status", "updated"],
        [
            [
                s.name,
                s.version,
                " / ".join(x for x in (s.owner_country, s.owner_agency) if x),
                s.source_format,
                f"{s.entry_count:,}",
                s.status,
                s.updated_at.strftime("%Y-%m-%d %H:%M") if s.updated_at else "",
            ]
            for s in sets
        ],
    )


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="Name of the set."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show one set: owner, caveats, counts by algorithm and category, import history."""
    info, imports, stats = flow.show_set(engine(), name)
    data = _info_dict(info)
    data["by_algorithm"] = stats.get("by_algorithm", {})
    data["by_category"] = stats.get("by_category", {})
    data["imports"] = imports
    if as_json:
        print_json(data)
        return
    for key in (
        "name",
        "version",
        "owner_country",
        "owner_agency",
        "description",
        "caveats",
        "source_format",
        "status",
        "entries",
        "pdq_threshold",
        "created_at",
        "updated_at",
    ):
        console.print(
            f"[bold]{key}[/]: {data[key] if data[key] is not None else ''}", highlight=False
        )
    console.print(f"[bold]by algorithm[/]: {data['by_algorithm']}", highlight=False)
    console.print(f"[bold]by category[/]: {data['by_category']}", highlight=False)
    print_table(
        "imports",
        [
            "started",
            "file",
            "sha256",
            "format",
            "operator",
            "added",
            "duplicates",
            "rejected",
            "status",
        ],
        [
            [
                r.started_at.strftime("%Y-%m-%d %H:%M"),
                r.source_file,
                r.source_sha256[:16] + "…",
                r.format,
                r.operator,
                r.entries_added,
                r.duplicates,
                r.rejected,
                r.status,
            ]
            for r in imports
        ],
    )


@app.command("export")
def export_cmd(
    name: str = typer.Argument(..., help="Name of the set."),
    fmt: str = typer.Option(..., "--format", "-f", help=f"One of: {', '.join(WRITABLE)}."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
) -> None:
    """Export a set; the file is written whole or not at all."""
    _check_choice(fmt, WRITABLE, "export format")
    count = flow.export_set(engine(), name, fmt, output)
    console.print(f"exported {count:,} entries of {name} to {output} ({fmt})", highlight=False)
    total = flow.show_set(engine(), name)[0].entry_count
    if count < total:
        err_console.print(
            f"[yellow]warning:[/] {total - count:,} entries of {name} not exported: "
            f"{fmt} has no field for their algorithm (ICSE CSV: MD5, SHA1, PhotoDNA only)",
            highlight=False,
        )


@app.command("stats")
def stats_cmd(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Entries per set by algorithm and by category."""
    data = flow.stats(engine())
    if as_json:
        print_json(data)
        return
    algorithms = sorted({a for s in data for a in s["by_algorithm"]})
    categories = [c for c in CATEGORIES if any(c in s["by_category"] for s in data)]
    print_table(
        "hash-set statistics",
        ["set", "status", "entries", *algorithms, *categories],
        [
            [s["name"], s["status"], f"{s['entries']:,}"]
            + [s["by_algorithm"].get(a, 0) for a in algorithms]
            + [s["by_category"].get(c, 0) for c in categories]
            for s in data
        ],
    )


@app.command("diff")
def diff_cmd(
    a: str = typer.Argument(..., help="First set."),
    b: str = typer.Argument(..., help="Second set."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Compare two sets: entries only in A, only in B, in both, and with another category."""
    d = flow.diff(engine(), a, b)
    if as_json:
        print_json(d)
        return
    print_table(
        f"{a} vs {b}",
        ["only in " + a, "only in " + b, "in both", "category differs"],
        [[d.only_a, d.only_b, d.both, d.category_changed]],
    )
    for algorithm, value, ca, cb in d.examples_changed:
        console.print(f"  {algorithm} {value}: {a}={ca} {b}={cb}", highlight=False)


@app.command("conflicts")
def conflicts_cmd(
    limit: int = typer.Option(1000, help="Most hashes listed."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Hashes whose categories disagree across sets (every membership is kept)."""
    found, total = flow.conflicts(engine(), limit)
    if as_json:
        print_json({"total": total, "conflicts": found})
        return
    rows = []
    for c in found:
        members = "; ".join(
            f"{s}={cat}" + (f" ({src})" if src else "") for s, cat, src in c.memberships
        )
        rows.append([c.algorithm, c.value, members])
    print_table(f"{total:,} conflicting hash(es)", ["algorithm", "value", "set=category"], rows)


@app.command("delete")
def delete_cmd(
    name: str = typer.Argument(..., help="Name of the set."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a set and all its entries."""
    info = flow.show_set(engine(), name)[0]
    if not yes and not typer.confirm(f"delete {name} ({info.entry_count:,} entries)?"):
        raise typer.Abort()
    count = flow.delete_set(engine(), name)
    console.print(f"deleted {name} ({count:,} entries)", highlight=False)


@app.command("add-files")
def add_files_cmd(
    set_name: str = typer.Argument(..., metavar="SET", help="Set to add to (created if missing)."),
    paths: list[Path] = typer.Argument(..., help="Files or directories (recursive)."),
    category: str = typer.Option(..., help=f"Category of these files: {', '.join(CATEGORIES)}."),
    perceptual: bool = typer.Option(
        True, "--perceptual/--no-perceptual", help="Also PDQ of images and vPDQ of videos."
    ),
    views: bool = typer.Option(
        True,
        "--views/--no-views",
        help=(
            "Also store up to 119 PDQs of cropped, banded and straightened views of each image, "
            "so that cropped, overlaid or slightly rotated copies match (~80x the PDQ work)."
        ),
    ),
    pdq_threshold: int | None = typer.Option(
        None,
        min=0,
        max=256,
        help="PDQ match distance for this set (default: PUENTE_PDQ_THRESHOLD, 31).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Hash benign reference files into a set: MD5, SHA-1, SHA-256, PDQ (images), vPDQ (videos)."""
    _check_choice(category, CATEGORIES, "category")
    s = settings()
    with Progress(
        TextColumn("[bold]hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("hash", total=None, current="")
        result = flow.add_files(
            engine(),
            set_name,
            paths,
            category,
            on_file=lambda p: bar.update(task, advance=1, current=p.name),
            on_total=lambda n: bar.update(task, total=n),
            perceptual=perceptual,
            views=views and perceptual,
            min_quality=s.pdq_min_quality,
            max_pixels=s.max_image_pixels,
        )
    if pdq_threshold is not None:
        result = replace(result, set=flow.set_pdq_threshold(engine(), set_name, pdq_threshold))
    console.print(
        f"{result.set.name}: {result.files:,} files hashed ({result.pdq:,} PDQ, "
        f"{result.vpdq:,} vPDQ, {result.views:,} PDQ views), {result.entries_added:,} entries "
        "added; set now has "
        f"{result.set.entry_count:,} entries",
        highlight=False,
    )
    for note in result.notes:
        err_console.print(f"[cyan]note:[/] {note}", highlight=False, soft_wrap=True)
    for error in result.errors:
        err_console.print(f"[yellow]not added:[/] {error}", highlight=False, soft_wrap=True)


@app.command("threshold")
def threshold_cmd(
    name: str = typer.Argument(..., help="Name of the set."),
    distance: str = typer.Argument(
        ..., help="PDQ match distance in bits (0-256), or 'default' for PUENTE_PDQ_THRESHOLD."
    ),
) -> None:
    """Set the PDQ match distance of one set (scans use the set's own, else the default)."""
    value: int | None = None
    if distance.strip().lower() != "default":
        try:
            value = int(distance)
        except ValueError:
            raise InputError(
                f"distance must be a number of bits (0-256) or 'default', got {distance!r}"
            ) from None
    info = flow.set_pdq_threshold(engine(), name, value)
    shown = info.pdq_threshold if info.pdq_threshold is not None else "default"
    console.print(f"{info.name}: PDQ threshold {shown}", highlight=False)


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    root.add_typer(app, name="hashsets")
