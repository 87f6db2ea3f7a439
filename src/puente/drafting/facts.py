"""Reading the drafter's facts (a YAML mapping) into RequestFacts, collecting every problem.

Parsing is lenient on purpose: it keeps what it can and reports the rest as problems, so
that validation can list everything wrong with a request at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from puente.drafting.model import (
    PRESERVATION_MAX_DAYS,
    Authority,
    Contact,
    Custodian,
    DataItem,
    LegalBasisGiven,
    Offence,
    RequestFacts,
)
from puente.errors import Problem

TOP_KEYS = frozenset(
    {
        "requesting_authority",
        "contact",
        "offence",
        "summary",
        "data",
        "custodian",
        "necessity",
        "mla_to_follow",
        "preservation_days",
        "renewal_of",
        "related_request",
        "assistance_sought",
        "emergency_reason",
        "legal_basis",
        "urgency",
        "confidentiality",
        "dates",
    }
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _section(raw: Mapping[str, Any], key: str, problems: list[Problem]) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    problems.append(Problem(key, f"must be a mapping, got {type(value).__name__}", "see docs"))
    return {}


def parse_timestamp(value: Any, where: str, problems: list[Problem]) -> tuple[datetime | None, str]:
    """An ISO 8601 timestamp; naive results are kept (validation flags them)."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, datetime):
        return value, value.isoformat()
    if isinstance(value, date):
        problems.append(
            Problem(
                where,
                f"{value.isoformat()} is a date without time and time zone",
                "give date, time and offset, e.g. 2026-10-01T14:03:00-03:00",
            )
        )
        return None, value.isoformat()
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problems.append(
            Problem(
                where,
                f"{text!r} is not an ISO 8601 timestamp",
                "write it like 2026-10-01T14:03:00-03:00",
            )
        )
        return None, text
    return parsed, text


def parse_facts(raw: Any, source: str = "facts") -> tuple[RequestFacts, list[Problem]]:
    """Build RequestFacts from a mapping; returns the facts and the problems found."""
    problems: list[Problem] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return RequestFacts(), [
            Problem(source, "must be a YAML mapping of fields", "see docs/cooperation.md")
        ]
    for key in sorted(set(map(str, raw)) - TOP_KEYS):
        problems.append(Problem(key, "unknown field", f"use one of: {', '.join(sorted(TOP_KEYS))}"))

    auth = _section(raw, "requesting_authority", problems)
    contact = _section(raw, "contact", problems)
    offence = _section(raw, "offence", problems)
    custodian = _section(raw, "custodian", problems)
    basis = _section(raw, "legal_basis", problems)

    items: list[DataItem] = []
    data = raw.get("data") or []
    if not isinstance(data, list):
        problems.append(Problem("data", "must be a list of items", "one '- kind: … value: …' each"))
        data = []
    for i, entry in enumerate(data):
        where = f"data[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(Problem(where, "must be a mapping", "give kind, value, timestamp…"))
            continue
        ts, ts_text = parse_timestamp(entry.get("timestamp"), f"{where}.timestamp", problems)
        items.append(
            DataItem(
                kind=_text(entry.get("kind")).lower(),
                value=_text(entry.get("value")),
                timestamp=ts,
                timestamp_text=ts_text,
                provider=_text(entry.get("provider")),
                relation=_text(entry.get("relation")),
            )
        )

    days_raw = raw.get("preservation_days", PRESERVATION_MAX_DAYS)
    try:
        days = int(days_raw)
    except (TypeError, ValueError):
        problems.append(Problem("preservation_days", f"{days_raw!r} is not a number", "use 90"))
        days = PRESERVATION_MAX_DAYS

    mla = raw.get("mla_to_follow")
    if mla is not None and not isinstance(mla, bool):
        problems.append(Problem("mla_to_follow", f"{mla!r} is not true/false", "write true"))
        mla = None

    dated: list[tuple[str, date | datetime]] = []
    extra_dates = raw.get("dates") or {}
    if isinstance(extra_dates, Mapping):
        for key, value in extra_dates.items():
            if isinstance(value, datetime | date):
                dated.append((f"dates.{key}", value))
            else:
                ts, _ = parse_timestamp(value, f"dates.{key}", problems)
                if ts is not None:
                    dated.append((f"dates.{key}", ts))
    else:
        problems.append(
            Problem("dates", "must be a mapping of name: date", "e.g. seized: 2026-10-01")
        )

    facts = RequestFacts(
        requesting_authority=Authority(
            name=_text(auth.get("name")),
            office=_text(auth.get("office")),
            address=_text(auth.get("address")),
        ),
        contact=Contact(
            name=_text(contact.get("name")),
            role=_text(contact.get("role")),
            email=_text(contact.get("email")),
            phone=_text(contact.get("phone")),
        ),
        offence=Offence(
            conduct=_text(offence.get("conduct")),
            description=_text(offence.get("description")),
            statute=_text(offence.get("statute")),
            penalty=_text(offence.get("penalty")),
        ),
        summary=_text(raw.get("summary")),
        data=tuple(items),
        custodian=Custodian(
            name=_text(custodian.get("name")), location=_text(custodian.get("location"))
        ),
        necessity=_text(raw.get("necessity")),
        mla_to_follow=mla,
        preservation_days=days,
        renewal_of=_text(raw.get("renewal_of")),
        related_request=_text(raw.get("related_request")),
        assistance_sought=_text(raw.get("assistance_sought")),
        emergency_reason=_text(raw.get("emergency_reason")),
        legal_basis=LegalBasisGiven(
            treaty=_text(basis.get("treaty")),
            citation=_text(basis.get("citation")),
            reciprocity=bool(basis.get("reciprocity", False)),
        ),
        urgency=_text(raw.get("urgency")) or "normal",
        confidentiality=bool(raw.get("confidentiality", True)),
        dates=tuple(dated),
    )
    return facts, problems
