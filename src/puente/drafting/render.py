"""Rendering a Draft with its template (data: templates/<type>.<lang>.j2).

Templates write a small structured text that the report layer turns into DOCX, HTML and
PDF: ``# `` title, ``## `` section, ``- `` list item, ``> `` note, blank line between
paragraphs. The same text is pinned by golden files.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from puente.drafting.model import Draft, LegalFact

TEMPLATES = Path(__file__).parent / "templates"

# The zone of each country's capital: a draft is dated where it is signed, not in UTC
# (an evening draft in Mexico City is already "tomorrow" in UTC).
CAPITAL_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "BO": "America/La_Paz",
    "BR": "America/Sao_Paulo",
    "CL": "America/Santiago",
    "CR": "America/Costa_Rica",
    "EC": "America/Guayaquil",
    "SV": "America/El_Salvador",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "MX": "America/Mexico_City",
    "PY": "America/Asuncion",
    "UY": "America/Montevideo",
    "ES": "Europe/Madrid",
}

# Portuguese puts an article before most country names: "no Brasil", "na Argentina",
# "do México", but "em Honduras", "de El Salvador".
PT_ARTICLES = {
    "AR": "a",
    "BO": "a",
    "BR": "o",
    "CL": "o",
    "CR": "a",
    "EC": "o",
    "GT": "a",
    "MX": "o",
    "PY": "o",
    "UY": "o",
    "ES": "a",
}


def local_date(at: datetime, country: str) -> date:
    """The calendar date at ``at`` in the country's capital (UTC if the zone is unavailable)."""
    try:
        return at.astimezone(ZoneInfo(CAPITAL_ZONES[country])).date()
    except (KeyError, ZoneInfoNotFoundError, ValueError):
        return at.date()


def pt_in(code: str, name: str) -> str:
    """ "no Brasil", "na Argentina", "em Honduras"."""
    return {"o": "no", "a": "na"}.get(PT_ARTICLES.get(code, ""), "em") + " " + name


def pt_of(code: str, name: str) -> str:
    """ "do Brasil", "da Argentina", "de Honduras"."""
    return {"o": "do", "a": "da"}.get(PT_ARTICLES.get(code, ""), "de") + " " + name


@cache
def environment() -> Environment:
    # Plain text out: escaping happens in the HTML/DOCX writers, not here.
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(pt_in=pt_in, pt_of=pt_of)
    return env


def template_name(kind: str, lang: str) -> str:
    return f"{kind}.{lang}.j2"


def fact_line(fact: LegalFact | None) -> dict[str, Any]:
    """A legal fact as template values; unknown stays visibly unknown."""
    if fact is None:
        return {
            "country": "",
            "status": "unknown",
            "citation": "",
            "source": "",
            "as_of": "",
            "confidence": "",
        }
    return {
        "country": fact.country,
        "status": fact.status,
        "citation": fact.citation,
        "source": fact.source,
        "as_of": fact.as_of.isoformat() if fact.as_of else "",
        "confidence": fact.confidence or "",
    }


def conduct_label(conduct: str, title: str, lang: str) -> str:
    """«Distribución o transmisión» (off.distribution): the reader's words, and the id that
    points into the knowledge base."""
    if not title:
        return conduct
    quoted = f"“{title}”" if lang == "en" else f"«{title}»"
    return f"{quoted} ({conduct})"


def context(draft: Draft) -> dict[str, Any]:
    legal = draft.legal
    inst = draft.instrument
    return {
        "d": draft,
        "f": draft.facts,
        "case": draft.case,
        "frm": draft.requesting_country,
        "to": draft.requested_country,
        "frm_name": legal.name(draft.requesting_country),
        "to_name": legal.name(draft.requested_country),
        "instrument": inst,
        "inst_requesting": fact_line(inst.requesting if inst else None),
        "inst_requested": fact_line(inst.requested if inst else None),
        "conduct_label": conduct_label(
            draft.facts.offence.conduct, legal.conduct_title, draft.lang
        ),
        "conduct_requesting": fact_line(legal.conduct_requesting),
        "conduct_requested": fact_line(legal.conduct_requested),
        "addressee": draft.addressee,
        "channel_note": draft.channel_note,
        "warnings": draft.warnings,
        "notices": [
            {"code": n.code, "facts": [fact_line(f) for f in n.facts], **dict(n.values)}
            for n in draft.notices
        ],
        "date": local_date(draft.created_at, draft.requesting_country).isoformat(),
        "medellin_requesting": fact_line(
            legal.party(draft.requesting_country, "coop.party_medellin")
        ),
        "medellin_requested": fact_line(
            legal.party(draft.requested_country, "coop.party_medellin")
        ),
        "subscriber": any(d.kind == "subscriber" for d in draft.facts.data),
    }


def render_text(draft: Draft) -> str:
    text = (
        environment()
        .get_template(template_name(draft.type.value, draft.lang))
        .render(**context(draft))
    )
    # Collapse runs of blank lines left by conditional blocks.
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def render(draft: Draft) -> Draft:
    return replace(draft, text=render_text(draft))


def review_notes(text: str) -> list[str]:
    """The draft's review notes (its ``> `` lines), worded in the draft's language."""
    return [line[2:].strip() for line in text.splitlines() if line.startswith("> ")]
