"""``puente capacity`` (questionnaire, import, profiles, examples) and ``puente conclusions``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from puente.capacity.examples import FICTITIOUS
from puente.capacity.model import LANGS, country_name, load_items
from puente.cli.common import console, engine, print_json, print_table, settings
from puente.errors import InputError, UnknownFormat
from puente.flows import capacity as flow
from puente.report.conclusions import FORMATS, MISSING

capacity_app = typer.Typer(
    help="Capacity and needs assessment (WeProtect MNR + online-CSAM investigation).",
    no_args_is_help=True,
)

JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _words(lang: str) -> dict[str, str]:
    """Table labels in the operator's language (the conclusions' own words)."""
    from puente.report.documents import messages

    return dict(messages("conclusions", lang))


def _need(code: str, lang: str) -> str:
    from puente.capacity.questionnaire import LABELS

    return str(LABELS[lang]["needs"].get(code, code))


def _institution(code: str, words: dict[str, str]) -> str:
    return words.get(code, code)


def _lang(lang: str | None) -> str:
    value = lang or settings().lang
    if value not in LANGS:
        raise InputError(f"unknown language {value!r}: use one of {', '.join(LANGS)}")
    return value


@capacity_app.command("template")
def template(
    lang: str = typer.Option(..., "--lang", help="Language of the questionnaire: es, pt or en."),
    output: Path = typer.Option(..., "--output", "-o", help="XLSX file to write."),
) -> None:
    """Write the questionnaire (XLSX) an institution fills in."""
    _lang(lang)
    if output.suffix.lower() != ".xlsx" or output.is_dir():
        raise InputError(f"{output}: the questionnaire is written to an .xlsx file")
    path = flow.write_template(output, lang)
    console.print(f"questionnaire ({lang}, template {load_items().template_version}) -> {path}")


@capacity_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="Filled-in questionnaire: .xlsx, .yaml or .json."),
    lang: str | None = typer.Option(
        None, "--lang", help="Refuse a questionnaire in another language."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Replace a stored assessment of the same institution and date."
    ),
    as_json: bool = JSON,
) -> None:
    """Validate and store one assessment; nothing is stored if any problem is found."""
    if lang is not None:
        _lang(lang)
    stored = flow.import_questionnaire(
        engine(), path, operator=settings().operator, lang=lang, replace=replace
    )
    a = stored.assessment
    info = {
        "id": stored.id,
        "country": a.country,
        "institution": a.institution,
        "assessed_on": a.assessed_on,
        "answers": len(a.answers),
        "fictitious": a.fictitious,
    }
    if as_json:
        print_json(info)
    else:
        note = f" [{FICTITIOUS}]" if a.fictitious else ""
        console.print(
            f"stored assessment {stored.id}: {a.institution} {a.country} {a.assessed_on} "
            f"({len(a.answers)} answers){note}"
        )


def _date_option(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{name} {value!r}: not a date (YYYY-MM-DD)") from exc


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@capacity_app.command("show")
def show(
    country: str = typer.Argument(..., help="Country code, e.g. AR."),
    lang: str | None = typer.Option(None, "--lang", help="Language of labels (es, pt, en)."),
    as_json: bool = JSON,
) -> None:
    """Scores per domain and overall for a country's institutions, and the needs stated."""
    lg = _lang(lang)
    items = load_items()
    view = flow.show_country(engine(), country, items)
    prof = view.profile
    if as_json:
        data: dict[str, Any] = {
            "country": view.country,
            "fictitious": prof.fictitious,
            "assessments": [
                {
                    "id": s.id,
                    "institution": s.assessment.institution,
                    "assessed_on": s.assessment.assessed_on,
                    "template_version": s.assessment.template_version,
                    "fictitious": s.assessment.fictitious,
                    "imported_at": s.imported_at,
                    "imported_by": s.imported_by,
                }
                for s in view.assessments
            ],
            "latest": [
                {
                    "institution": i.institution,
                    "assessed_on": i.assessed_on,
                    "domains": dict(i.score.domains),
                    "overall": i.score.overall,
                }
                for i in prof.institutions
            ],
            "country_score": None
            if prof.score is None
            else {"domains": dict(prof.score.domains), "overall": prof.score.overall},
            "needs": [n.__dict__ for n in prof.needs],
        }
        print_json(data)
        return
    title = f"{country_name(view.country, lg)} ({view.country})"
    if prof.fictitious:
        title += f" - {FICTITIOUS}"
    if prof.score is None:
        console.print(f"{title}: {_words(lg)['no_assessment_stored']}")
        return
    w = _words(lg)
    cols = [
        w["domain"],
        *(f"{_institution(i.institution, w)} {i.assessed_on}" for i in prof.institutions),
        w["country_mean"],
    ]
    rows = [
        [
            d.name[lg],
            *(_fmt(i.score.domains.get(d.id)) for i in prof.institutions),
            _fmt(prof.score.domains.get(d.id)),
        ]
        for d in items.domains
    ]
    rows.append(
        [
            w["overall"],
            *(_fmt(i.score.overall) for i in prof.institutions),
            _fmt(prof.score.overall),
        ]
    )
    print_table(title, cols, rows)
    print_table(
        w["country_needs"],
        [w["need"], w["answers"], w["high_priority"]],
        [[_need(n.need, lg), n.items, n.high] for n in prof.needs],
    )


@capacity_app.command("region")
def region(
    lang: str | None = typer.Option(None, "--lang", help="Language of labels (es, pt, en)."),
    as_json: bool = JSON,
) -> None:
    """Regional view: every country's score per domain, regional means and common needs."""
    lg = _lang(lang)
    w = _words(lg)
    items = load_items()
    view = flow.regional(engine(), items)
    if as_json:
        print_json(
            {
                "fictitious": view.fictitious,
                "countries": [
                    {
                        "country": p.country,
                        "fictitious": p.fictitious,
                        "domains": None if p.score is None else dict(p.score.domains),
                        "overall": None if p.score is None else p.score.overall,
                    }
                    for p in view.countries
                ],
                "domain_means": dict(view.domain_means),
                "overall": view.overall,
                "needs": [n.__dict__ for n in view.needs],
                "weakest_items": [{"item": i, "mean": v} for i, v in view.weakest_items[:10]],
            }
        )
        return
    title = w["region"] + (f" - {FICTITIOUS}" if view.fictitious else "")
    rows = [
        [
            p.country,
            *(_fmt(p.score.domains.get(d.id)) if p.score else "" for d in items.domains),
            _fmt(p.score.overall) if p.score else w["not_assessed"],
        ]
        for p in view.countries
    ]
    rows.append(
        [
            w["regional_mean"],
            *(_fmt(view.domain_means.get(d.id)) for d in items.domains),
            _fmt(view.overall),
        ]
    )
    print_table(title, [w["country"], *(d.name[lg] for d in items.domains), w["overall"]], rows)
    print_table(
        w["needs"],
        [w["need"], w["countries_stating"], w["answers"], w["high_priority"]],
        [[_need(n.need, lg), n.countries, n.items, n.high] for n in view.needs],
    )


@capacity_app.command("compare")
def compare_cmd(
    country: str = typer.Argument(..., help="Country code, e.g. AR."),
    institution: str = typer.Option(..., "--institution", help="police or prosecution."),
    before: str | None = typer.Option(None, "--before", help="Date of the earlier assessment."),
    after: str | None = typer.Option(None, "--after", help="Date of the later assessment."),
    lang: str | None = typer.Option(None, "--lang", help="Language of labels (es, pt, en)."),
    as_json: bool = JSON,
) -> None:
    """Compare two assessments of one institution (default: the two newest)."""
    lg = _lang(lang)
    items = load_items()
    cmp = flow.compare_institution(
        engine(),
        country,
        institution,
        items,
        before=_date_option("--before", before),
        after=_date_option("--after", after),
    )
    if as_json:
        print_json(
            {
                "country": cmp.country,
                "institution": cmp.institution,
                "before": cmp.before.assessed_on,
                "after": cmp.after.assessed_on,
                "fictitious": cmp.before.fictitious or cmp.after.fictitious,
                "overall": {
                    "before": cmp.before.score.overall,
                    "after": cmp.after.score.overall,
                    "change": cmp.overall,
                },
                "domains": {
                    d: {
                        "before": cmp.before.score.domains[d],
                        "after": cmp.after.score.domains[d],
                        "change": delta,
                    }
                    for d, delta in cmp.domains.items()
                },
                "items": [
                    {"item": c.item_id, "before": c.before, "after": c.after, "change": c.delta}
                    for c in cmp.items
                ],
            }
        )
        return
    w = _words(lg)
    title = (
        f"{_institution(cmp.institution, w)} {cmp.country}: "
        f"{cmp.before.assessed_on} -> {cmp.after.assessed_on}"
    )
    if cmp.before.fictitious or cmp.after.fictitious:
        title += f" - {FICTITIOUS}"
    rows = [
        [
            items.domain(d).name[lg],
            _fmt(cmp.before.score.domains[d]),
            _fmt(cmp.after.score.domains[d]),
            f"{delta:+.2f}",
        ]
        for d, delta in cmp.domains.items()
    ]
    rows.append(
        [
            w["overall"],
            _fmt(cmp.before.score.overall),
            _fmt(cmp.after.score.overall),
            f"{cmp.overall:+.2f}",
        ]
    )
    print_table(title, [w["domain"], w["before"], w["after"], w["change"]], rows)
    print_table(
        w["items_changed"],
        [w["item"], w["capability"], w["before"], w["after"]],
        [[c.item_id, items.item(c.item_id).title[lg], c.before, c.after] for c in cmp.items],
    )


@capacity_app.command("examples")
def examples(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Directory to write the example questionnaires to."
    ),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx or yaml."),
    load: bool = typer.Option(False, "--load", help="Store the examples in the database."),
    remove: bool = typer.Option(False, "--remove", help="Remove stored examples."),
    as_json: bool = JSON,
) -> None:
    """FICTITIOUS EXAMPLE DATA for the 13 countries: write questionnaires and/or load them."""
    result: dict[str, Any] = {"note": FICTITIOUS}
    if remove:
        result["removed"] = flow.remove_examples(engine())
    if output is not None:
        result["written"] = [str(p) for p in flow.write_examples(output, fmt)]
    if load:
        result["loaded"] = len(flow.load_examples(engine(), operator=settings().operator))
    if not (remove or load or output is not None):
        raise InputError("say what to do: --output DIR, --load and/or --remove")
    if as_json:
        print_json(result)
        return
    if "removed" in result:
        console.print(f"removed {result['removed']} example assessment(s)")
    if "written" in result:
        console.print(f"wrote {len(result['written'])} {FICTITIOUS} questionnaires to {output}")
    if "loaded" in result:
        console.print(f"loaded {result['loaded']} {FICTITIOUS} assessments")


def conclusions_cmd(
    lang: str | None = typer.Option(None, "--lang", help="Language: es, pt or en."),
    fmt: str = typer.Option("pdf", "--format", help="pdf, docx or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: <home>/reports/conclusions-…)."
    ),
    issued: str | None = typer.Option(
        None, "--date", help="Date of issue, YYYY-MM-DD (default: today, UTC)."
    ),
    edition: int = typer.Option(1, "--edition", min=1, help="Edition number of the document."),
    as_json: bool = JSON,
) -> None:
    """Regional conclusions: legal gaps, capacity profiles, needs, measures, legal bases."""
    lg = _lang(lang)
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    day = _date_option("--date", issued) or datetime.now(UTC).date()
    path = output or settings().home / "reports" / f"conclusions-{day.isoformat()}-{lg}.{fmt}"
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    with console.status("building the regional conclusions…"):
        written, doc = flow.write_conclusions(engine(), lg, fmt, path, issued=day, edition=edition)
    info = {
        "output": str(written),
        "lang": lg,
        "format": fmt,
        "issued": day,
        "edition": edition,
        "fictitious": doc.fictitious,
        "countries_assessed": sum(1 for s in doc.countries if s.profile.score is not None),
        "missing": [MISSING[k] for k in doc.missing],
    }
    if as_json:
        print_json(info)
        return
    console.print(f"conclusions ({lg}, {fmt}) -> {written}")
    if doc.fictitious:
        what = (
            "real and example assessments mixed (run 'puente capacity examples --remove')"
            if doc.mixed
            else "built from the example assessments"
        )
        console.print(f"[bold red]{FICTITIOUS}[/]: {what}")
    for what in doc.missing:
        console.print(f"[yellow]missing:[/] {MISSING[what]}")


def register(app: typer.Typer) -> None:
    app.add_typer(capacity_app, name="capacity")
    app.command("conclusions")(conclusions_cmd)
