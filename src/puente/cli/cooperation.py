"""Cooperation commands: draft and track requests, render the harmonised procedure.

puente request draft CASE --type preservation --from AR --to BR [--lang pt] [--facts F.yaml]
puente request list [--due DAYS] [--case ID] [--json]
puente request status ID NEW_STATUS [--note TEXT]
puente request show ID [--json]
puente procedure render --country CL --lang es --format pdf [--output PATH] | --all
puente case checklist CASE [--lang es] [--json]       (added to the case commands)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from puente.cli.common import console, engine, err_console, print_json, print_table, settings
from puente.errors import ValidationError

if TYPE_CHECKING:
    from puente.drafting.tracking import TrackedRequest

request_app = typer.Typer(help="Cooperation requests: draft, list, track.", no_args_is_help=True)
procedure_app = typer.Typer(help="The network's harmonised procedure.", no_args_is_help=True)

OPERATOR = typer.Option(
    None, "--operator", help="Who is operating Puente (default: PUENTE_OPERATOR)."
)


def _operator(value: str | None) -> str:
    return value or settings().operator


@request_app.command("draft")
def request_draft(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    kind: str = typer.Option(
        ...,
        "--type",
        help="preservation | traffic_disclosure | mla_stored_data | emergency | "
        "provider_direct | iberred | mla_generic",
    ),
    frm: str = typer.Option(..., "--from", help="Requesting country (ISO alpha-2)."),
    to: str = typer.Option(..., "--to", help="Requested country (ISO alpha-2)."),
    lang: str | None = typer.Option(
        None, "--lang", help="es | pt | en (default: the requested country's: pt for BR, else es)."
    ),
    facts: Path | None = typer.Option(None, "--facts", help="YAML file with the request facts."),
    output_dir: Path | None = typer.Option(
        None, "--output-dir", help="Where the DOCX and PDF go (default: PUENTE_HOME/requests)."
    ),
    html: bool = typer.Option(False, "--html", help="Also write an HTML copy."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    operator: str | None = OPERATOR,
) -> None:
    """Validate and draft a request (DOCX for signature + PDF); stored as a draft."""
    from puente.flows.cooperation import draft_request, read_facts

    out = output_dir or settings().home / "requests" / f"case-{case_id}"
    formats = ["docx", "pdf", "html"] if html else ["docx", "pdf"]
    try:
        drafted = draft_request(
            engine(),
            case_id,
            kind,
            frm,
            to,
            operator=_operator(operator),
            output_dir=out,
            lang=lang,
            facts_raw=read_facts(facts),
            formats=formats,
        )
    except ValidationError as exc:
        # One line per problem, each with its fix: the drafter corrects them all at once.
        err_console.print(f"[bold red]error:[/] {exc.subject}: nothing drafted or stored")
        for problem in exc.problems:
            err_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
        # SystemExit, not typer.Exit: the root runs click in non-standalone mode, where
        # typer.Exit's code would be returned and dropped.
        raise SystemExit(ValidationError.exit_code) from None
    r = drafted.request
    if as_json:
        print_json({"request": r, "documents": [str(p) for p in drafted.documents]})
        return
    console.print(
        f"request {r.id}: {r.type.value} {r.requesting_country}->{r.requested_country} "
        f"({r.lang}), status draft"
    )
    for path in drafted.documents:
        console.print(f"  {path}", highlight=False)
    # The terminal speaks the draft's language: its review notes are the warnings, worded
    # by the templates. English keeps the fuller English warnings.
    notes = list(r.warnings)
    if r.lang != "en":
        from puente.drafting.render import review_notes

        notes = review_notes(drafted.draft.text) or notes
    label = {"es": "aviso", "pt": "aviso"}.get(r.lang, "warning")
    for note in notes:
        err_console.print(f"[yellow]{label}:[/] {note}", highlight=False, soft_wrap=True)


@request_app.command("example")
def request_example() -> None:
    """Print a complete, fictitious facts file to start from (YAML)."""
    import yaml

    from puente.drafting.examples import example_facts_dict

    typer.echo("# Fictitious example: replace every value. Fields: docs/cooperation.md")
    typer.echo(yaml.safe_dump(example_facts_dict(), allow_unicode=True, sort_keys=False), nl=False)


@request_app.command("list")
def request_list(
    due: int | None = typer.Option(
        None, "--due", metavar="DAYS", help="Only open requests with a deadline within DAYS."
    ),
    case_id: int | None = typer.Option(None, "--case", help="Only this case."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List requests with status and deadlines."""
    from puente.flows.cooperation import list_requests

    rows = list_requests(engine(), due_days=due, case_id=case_id)
    if as_json:
        print_json([{**_summary(r), "lapsed": lapsed} for r, lapsed in rows])
        return
    print_table(
        "Requests",
        ["id", "case", "type", "from", "to", "status", "sent", "expires", "MLA due", "note"],
        [
            [
                r.id,
                r.case_id,
                r.type.value,
                r.requesting_country,
                r.requested_country,
                r.status,
                _day(r.sent_at, r.requesting_country),
                _day(r.deadlines.expires_at, r.requesting_country),
                _day(r.deadlines.followup_due, r.requesting_country),
                "LAPSED: renew or mark expired" if lapsed else "",
            ]
            for r, lapsed in rows
        ],
    )


def _day(value: object, country: str) -> str:
    """The date where the request was made (its capital's zone), not the UTC date: a
    preservation sent at 22:00 in Mexico City must not show an expiry a day late."""
    from datetime import datetime

    from puente.drafting.render import local_date

    return local_date(value, country).isoformat() if isinstance(value, datetime) else ""


def _summary(r: TrackedRequest) -> dict[str, object]:
    from dataclasses import asdict

    data: dict[str, object] = asdict(r)
    data.pop("history", None)
    data["type"] = str(data["type"])
    return data


@request_app.command("status")
def request_status(
    request_id: int = typer.Argument(..., metavar="ID", help="Request id."),
    new_status: str = typer.Argument(
        ..., metavar="NEW_STATUS", help="sent | acknowledged | executed | refused | expired"
    ),
    note: str = typer.Option("", "--note", help="What happened (kept in history and custody)."),
    operator: str | None = OPERATOR,
) -> None:
    """Change a request's status; the change goes into the case's custody log."""
    from puente.flows.cooperation import set_status

    r = set_status(engine(), request_id, new_status, operator=_operator(operator), note=note)
    line = f"request {r.id}: {r.status}"
    if r.deadlines.expires_at:
        line += f"; preservation expires {_day(r.deadlines.expires_at, r.requesting_country)}"
    if r.deadlines.followup_due:
        line += f"; follow-up MLA due {_day(r.deadlines.followup_due, r.requesting_country)}"
    console.print(line)


@request_app.command("show")
def request_show(
    request_id: int = typer.Argument(..., metavar="ID", help="Request id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a request, its history and its draft text."""
    from puente.store.requests import RequestStore

    store = RequestStore(engine())
    r = store.get(request_id)
    if as_json:
        print_json({"request": r, "draft_text": store.draft_text(request_id)})
        return
    console.print(f"request {r.id} (case {r.case_id}): {r.type.value}, {r.status}")
    for h in r.history:
        console.print(f"  {h.at.isoformat()} {h.status} by {h.operator} {h.note}", highlight=False)
    console.print(store.draft_text(request_id), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(request_app, name="request")
    app.add_typer(procedure_app, name="procedure")
    # The case commands belong to the triage area; the checklist joins them there.
    from puente.cli.triage import case_app

    case_app.command("checklist")(case_checklist)


@procedure_app.command("render")
def procedure_render(
    country: str | None = typer.Option(None, "--country", help="ISO alpha-2 code."),
    all_countries: bool = typer.Option(False, "--all", help="The regional document (all 13)."),
    lang: str = typer.Option("es", "--lang", help="es | pt | en."),
    fmt: str = typer.Option("pdf", "--format", help="pdf | docx | html."),
    output: Path | None = typer.Option(None, "--output", help="File to write."),
) -> None:
    """Write the harmonised procedure with a country's legal references (or --all)."""
    from puente.errors import InputError
    from puente.flows.cooperation import render_procedure_document

    if all_countries == (country is not None):
        raise InputError("give exactly one of --country CC or --all")
    name = "regional" if all_countries else str(country).upper()
    path = output or Path(f"procedure-{name}-{lang}.{fmt}")
    written = render_procedure_document(None if all_countries else country, lang, fmt, path)
    console.print(f"procedure written: {written}", highlight=False)


def case_checklist(
    case_id: int = typer.Argument(..., metavar="CASE", help="Case id."),
    lang: str = typer.Option("es", "--lang", help="es | pt | en."),
    done: str | None = typer.Option(
        None, "--done", metavar="STEP", help="Mark a step done (logged in the custody log)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    operator: str | None = OPERATOR,
) -> None:
    """The harmonised procedure's steps as done or pending for this case."""
    from puente.flows.cooperation import case_checklist as run_checklist

    items = run_checklist(engine(), case_id, lang, mark_done=done, operator=_operator(operator))
    if as_json:
        print_json(list(items))
        return
    from puente.report.documents import messages

    m = messages("drafting", lang)
    print_table(
        m["checklist_title"].format(case=case_id),
        ["#", m["col_step"], m["col_status"], m["col_evidence"]],
        [
            [
                i.number,
                i.title,
                m["done"] if i.done else m["pending"],
                i.evidence if i.done else f"{m['next']}: {i.command}",
            ]
            for i in items
        ],
    )
