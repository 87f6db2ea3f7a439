"""``puente legal …`` (validate, show, compare, diff, basis, matrix) and ``puente gaps``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from puente.cli.common import console, err_console, print_json, settings
from puente.errors import InputError
from puente.flows import legal as flow
from puente.gaps.analyse import CountryGaps, analyse
from puente.gaps.basis import legal_basis
from puente.legal.catalog import collect
from puente.legal.diff import diff
from puente.legal.schema import STATUSES, Catalog, Finding
from puente.report.documents import check_lang, messages
from puente.report.gaps import channel_reason, research_note, status_labels, summary_text

legal_app = typer.Typer(
    help="Legal knowledge base: country packs, baseline criteria, legal basis, matrix.",
    no_args_is_help=True,
)

JSON = typer.Option(False, "--json", help="Machine-readable output.")
PACKS = typer.Option(
    None,
    "--packs",
    help="Use these pack files or folders instead of the bundled country packs (repeatable).",
)
LANG = typer.Option(None, "--lang", help="Language of titles and documents: es, pt or en.")
SYMBOL = {"met": "✓", "partial": "~", "not_met": "✗", "unknown": "?"}


def _lang(lang: str | None) -> str:
    return check_lang(lang or settings().lang)


def _with_countries(cat: Catalog, packs: list[Path] | None) -> Catalog:
    """A matrix or gap report of no country would be an empty document: say so."""
    if not cat.countries:
        where = ", ".join(str(p) for p in packs or ()) or "the bundled packs"
        raise InputError(f"{where}: no country pack (kind: country) to report on")
    return cat


def _status(status: str, lang: str) -> str:
    return f"{SYMBOL[status]} {status_labels(lang)[status]}"


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]], *, ids: int = 0) -> None:
    """Like print_table, but long cells (URLs, citations) wrap instead of being cut
    with an ellipsis: a prosecutor copies the source from here."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        # The first ``ids`` columns hold codes and ids, which must never be split.
        table.add_column(col, overflow="fold", no_wrap=i < ids)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _finding_json(f: Finding, cat: Catalog, lang: str) -> dict[str, Any]:
    crit = cat.criterion(f.criterion_id)
    data = asdict(f)
    data["as_of"] = f.as_of.isoformat()
    data["area"] = crit.area
    data["title"] = crit.title[lang]
    data["baseline"] = [{"ref": r, "citation": cat.cite(r)} for r in crit.baseline]
    return data


@legal_app.command("validate")
def validate(
    paths: list[Path] = typer.Argument(None, help="Pack files or folders (default: bundled)."),
    as_json: bool = JSON,
) -> None:
    """Check packs: keys, ids, country codes, dates, citations; every problem is listed."""
    catalog, problems = collect(paths or None)
    if as_json:
        print_json(
            {
                "ok": not problems,
                "problems": [asdict(p) for p in problems],
                "countries": list(catalog.countries) if catalog else [],
            }
        )
    if problems:
        if not as_json:
            for p in problems:
                err_console.print(f"[red]✗[/] {p}", highlight=False, soft_wrap=True)
        subject = ", ".join(str(p) for p in paths) if paths else "bundled legal packs"
        # The problems are listed above (or in the JSON); the error line only counts them.
        where = "in the JSON output" if as_json else "above"
        raise InputError(f"{subject}: {len(problems)} problem(s), listed {where}")
    if not as_json and catalog is not None:
        console.print(
            f"ok: {len(catalog.criteria)} criteria, {len(catalog.instruments)} instruments, "
            f"{len(catalog.measures)} measures, {len(catalog.countries)} country packs "
            f"({', '.join(catalog.countries) or 'none'})"
        )


@legal_app.command("show")
def show(
    country: str = typer.Argument(..., help="Country code, e.g. AR."),
    criterion: str | None = typer.Option(None, "--criterion", help="One criterion id."),
    lang: str | None = LANG,
    packs: list[Path] = PACKS,
    as_json: bool = JSON,
) -> None:
    """What one country's law says, criterion by criterion, with citations."""
    lg = _lang(lang)
    cat = flow.catalog(packs)
    pack = cat.country(country)
    findings = (cat.finding(pack.code, criterion),) if criterion else cat.findings(pack.code)
    if as_json:
        print_json(
            {
                "country": pack.code,
                "name": pack.name.get(lg),
                "as_of": pack.as_of.isoformat(),
                "findings": [_finding_json(f, cat, lg) for f in findings],
            }
        )
        return
    m = messages("gaps", lg)
    if criterion:
        f = findings[0]
        crit = cat.criterion(f.criterion_id)
        summary_label, summary = summary_text(f, lg)
        rows = [
            (m["criterion"], f"{crit.id} — {crit.title[lg]}"),
            (m["status"], _status(f.status, lg)),
            (m["citation"], f.citation),
            (summary_label, summary),
            (m["source"], f.source),
            (m["as_of"], f.as_of.isoformat()),
            (m["confidence"], f.confidence),
            (m["note"], research_note(f.note, lg) if f.status == "unknown" else f.note),
            (m["baseline"], "; ".join(cat.cite(r, lg) for r in crit.baseline)),
        ]
        _table(f"{pack.name.get(lg)} ({pack.code})", [m["field"], m["value"]], rows)
        return
    _table(
        f"{pack.name.get(lg)} ({pack.code}) — {m['pack_as_of']}: {pack.as_of.isoformat()}",
        [m["criterion"], m["status"], m["citation"], m["conf"], m["as_of"]],
        [
            (
                f"{cat.criterion(f.criterion_id).title[lg]} ({f.criterion_id})",
                _status(f.status, lg),
                f.citation or research_note(f.note, lg),
                f.confidence,
                f.as_of.isoformat(),
            )
            for f in findings
        ],
    )


@legal_app.command("compare")
def compare(
    countries: list[str] = typer.Argument(..., help="Two or more country codes."),
    lang: str | None = LANG,
    packs: list[Path] = PACKS,
    as_json: bool = JSON,
) -> None:
    """Criteria side by side for several countries."""
    lg = _lang(lang)
    cat = flow.catalog(packs)
    codes = [cat.country(c).code for c in countries]
    if len(codes) < 2:
        raise InputError("compare needs at least two country codes")
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise InputError(f"compare: country {', '.join(twice)} given more than once")
    if as_json:
        print_json(
            {
                code: {
                    f.criterion_id: {"status": f.status, "citation": f.citation}
                    for f in cat.findings(code)
                }
                for code in codes
            }
        )
        return
    m = messages("gaps", lg)
    _table(
        m["compare_title"],
        [m["criterion"], *codes],
        [
            (
                f"{crit.title[lg]} ({crit.id})",
                *(_status(cat.finding(c, crit.id).status, lg) for c in codes),
            )
            for crit in cat.criteria
        ],
    )


@legal_app.command("diff")
def diff_cmd(
    old: Path = typer.Argument(..., help="Old packs (file or folder)."),
    new: Path = typer.Argument(..., help="New packs (file or folder)."),
    as_json: bool = JSON,
) -> None:
    """What changed in status and citation between two versions of the packs."""
    changes = diff(flow.catalog([old]), flow.catalog([new]))
    if as_json:
        print_json([asdict(c) for c in changes])
        return
    # A draft folder usually holds only the countries being corrected: whole countries
    # missing on one side go on one line each instead of burying the real changes.
    only_old = [c.country for c in changes if c.criterion_id == "*" and c.kind == "removed"]
    only_new = [c.country for c in changes if c.criterion_id == "*" and c.kind == "added"]
    rows = [c for c in changes if c.criterion_id != "*"]
    if rows:
        _table(
            f"{len(rows)} change(s)",
            ["country", "criterion", "change", "old", "new"],
            [
                (
                    c.country,
                    c.criterion_id,
                    c.kind,
                    f"{c.old_status or ''} {c.old_citation or ''}".strip(),
                    f"{c.new_status or ''} {c.new_citation or ''}".strip(),
                )
                for c in rows
            ],
            ids=3,
        )
    else:
        console.print("no changes in status or citation", highlight=False)
    if only_old:
        console.print(f"only in {old} (not compared): {', '.join(only_old)}", highlight=False)
    if only_new:
        console.print(f"only in {new} (new country): {', '.join(only_new)}", highlight=False)


@legal_app.command("basis")
def basis(
    from_: str = typer.Option(..., "--from", help="Requesting country code."),
    to: str = typer.Option(..., "--to", help="Requested country code."),
    conduct: str = typer.Option(..., "--conduct", help="e.g. possession, grooming, access."),
    lang: str | None = LANG,
    packs: list[Path] = PACKS,
    as_json: bool = JSON,
) -> None:
    """Is the conduct a crime in both? Common instruments, fitting channel, unknowns."""
    lg = _lang(lang)
    cat = flow.catalog(packs)
    b = legal_basis(cat, from_, to, conduct)
    if as_json:
        print_json(
            {
                "from": b.from_,
                "to": b.to,
                "conduct": b.conduct,
                "criterion": b.criterion_id,
                "criminalised_both": b.criminalised_both,
                "findings": [_finding_json(f, cat, lg) for f in (b.from_finding, b.to_finding)],
                "instruments": [
                    {
                        "id": ci.instrument.id,
                        "name": ci.instrument.short,
                        "both_parties": ci.answer,
                        b.from_: ci.from_finding.status,
                        b.to: ci.to_finding.status,
                    }
                    for ci in b.instruments
                ],
                "channels": [asdict(c) for c in b.channels],
                "unknowns": [
                    {"country": f.country, "criterion": f.criterion_id, "note": f.note}
                    for f in b.unknowns
                ],
            }
        )
        return
    m = messages("gaps", lg)

    def answer(a: str) -> str:
        return m[f"answer_{a}"]

    title = cat.criterion(b.criterion_id).title[lg]
    console.print(
        f"[bold]{b.from_} → {b.to}: {title}[/] — {m['criminalised_both']}: "
        f"{answer(b.criminalised_both)}",
        highlight=False,
    )
    _table(
        m["criminalisation"],
        [m["country"], m["status"], m["citation"], m["conf"], m["source"]],
        [
            (f.country, _status(f.status, lg), f.citation or f.note, f.confidence, f.source)
            for f in (b.from_finding, b.to_finding)
        ],
    )
    _table(
        m["instruments"],
        [m["instrument"], m["both_parties"], b.from_, b.to],
        [
            (
                ci.instrument.short_name(lg),
                answer(ci.answer),
                _status(ci.from_finding.status, lg),
                _status(ci.to_finding.status, lg),
            )
            for ci in b.instruments
        ],
    )
    _table(
        m["channels"],
        [m["channel"], m["fits"], m["why"], m["basis"]],
        [
            (
                m.get(f"channel_{c.id}", c.id),
                answer(c.answer),
                channel_reason(b, c, lg),
                "; ".join(cat.cite(r, lg) for r in c.basis),
            )
            for c in b.channels
        ],
    )
    if b.unknowns:
        console.print(
            f"{m['unknowns']}: " + ", ".join(f"{f.country} {f.criterion_id}" for f in b.unknowns),
            highlight=False,
        )


@legal_app.command("matrix")
def matrix_cmd(
    fmt: str = typer.Option("html", "--format", help="html, png or svg."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
    lang: str | None = LANG,
    packs: list[Path] = PACKS,
) -> None:
    """Regional matrix (countries × criteria) as an HTML page or a PNG/SVG heatmap."""
    lg = _lang(lang)
    cat = _with_countries(flow.catalog(packs), packs)
    fmt = fmt.lower()
    path = flow.write_matrix(cat, fmt, lg, output)
    console.print(f"matrix ({fmt}, {len(cat.countries)} countries) -> {path}")


def _gaps_json(cg: CountryGaps, cat: Catalog, lang: str) -> dict[str, Any]:
    return {
        "country": cg.country,
        "name": cat.country_name(cg.country, lang),
        "as_of": cg.as_of.isoformat(),
        "counts": cg.counts,
        "gaps": {
            ag.area: [
                {
                    "criterion": g.criterion.id,
                    "title": g.criterion.title[lang],
                    "status": g.finding.status,
                    "baseline": [b.citation for b in g.baseline],
                    "evidence": {
                        "citation": g.finding.citation,
                        "summary": g.finding.summary,
                        "summary_es": g.finding.summary_es,
                        "summary_pt": g.finding.summary_pt,
                        "source": g.finding.source,
                        "as_of": g.finding.as_of.isoformat(),
                        "confidence": g.finding.confidence,
                    },
                    "measures": [
                        {
                            "id": ms.id,
                            "text": ms.text[lang],
                            "model": [cat.cite(r) for r in ms.model],
                        }
                        for ms in g.measures
                    ],
                }
                for g in ag.gaps
            ]
            for ag in cg.areas
        },
        "research_to_do": [
            {"criterion": r.criterion.id, "title": r.criterion.title[lang], "note": r.note}
            for r in cg.research
        ],
    }


def gaps(
    country: str | None = typer.Argument(None, help="Country code (or use --all)."),
    all_: bool = typer.Option(False, "--all", help="Every country with a pack."),
    fmt: str = typer.Option("table", "--format", help="table, json, html, pdf or docx."),
    lang: str | None = LANG,
    output: Path | None = typer.Option(None, "--output", "-o", help="File for html/pdf/docx."),
    packs: list[Path] = PACKS,
) -> None:
    """Legislative gaps per country: not met / partial by area, with measures."""
    lg = _lang(lang)
    if bool(country) == all_:
        raise InputError("give one COUNTRY or --all")
    fmt = fmt.lower()
    if fmt not in ("table", "json", *flow.REPORT_FORMATS):
        raise InputError(f"unknown format {fmt!r}: use table, json, html, pdf or docx")
    if output is not None and fmt in ("table", "json"):
        # Silently printing to the terminal would leave the user looking for a file.
        raise InputError(f"--output is for html, pdf or docx; --format {fmt} prints here")
    cat = _with_countries(flow.catalog(packs), packs)
    codes = list(cat.countries) if all_ else [cat.country(country or "").code]
    if fmt in flow.REPORT_FORMATS:
        if output is None:
            raise InputError(f"--format {fmt} needs --output FILE")
        path = flow.write_gap_report(cat, codes, fmt, lg, output)
        console.print(f"gap report ({fmt}, {lg}, {', '.join(codes)}) -> {path}")
        return
    reports = [analyse(cat, c) for c in codes]
    if fmt == "json":
        print_json([_gaps_json(cg, cat, lg) for cg in reports])
        return
    m = messages("gaps", lg)
    labels = status_labels(lg)
    for cg in reports:
        counts = ", ".join(f"{labels[s]} {cg.counts[s]}" for s in STATUSES)
        rows = [
            (
                cat.area_title(ag.area, lg),
                f"{g.criterion.title[lg]} ({g.criterion.id})",
                _status(g.finding.status, lg),
                "; ".join(cat.cite(b.ref, lg) for b in g.baseline),
                g.finding.citation,
                "; ".join(ms.text[lg] for ms in g.measures) or m["no_measure"],
            )
            for ag in cg.areas
            for g in ag.gaps
        ]
        _table(
            f"{cat.country_name(cg.country, lg)} ({cg.country}) — {counts}",
            [m["area"], m["criterion"], m["status"], m["baseline"], m["evidence"], m["measure"]],
            rows,
        )
        if not rows:
            console.print(m["no_gaps"], highlight=False)
        if cg.research:
            console.print(
                f"{m['research']}: " + ", ".join(r.criterion.id for r in cg.research),
                highlight=False,
            )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(legal_app, name="legal")
    app.command("gaps")(gaps)
