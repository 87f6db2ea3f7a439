"""Validation of a request before it is drafted: everything wrong is listed at once.

Three families of checks:
- mandatory elements per type (Budapest Art. 29(2) (a)-(f) for preservation, and the
  usual content of an MLA request for the others);
- legal checks from the knowledge base: the instrument the type rests on, dual
  criminality where the type needs it (not for preservation, Art. 29(3)), the addressee;
- data checks: countries, IP addresses with timestamps that carry a time zone, no future
  dates, a preservation period of at most 90 days (renewable).

Errors raise ValidationError(problems); legal doubts that do not block a draft (unknown
party status, partial or missing criminalisation, unknown addressee) come back as warnings
that travel with the draft.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from puente.drafting.model import (
    DATA_KINDS,
    DRAFT_LANGS,
    PRESERVATION_MAX_DAYS,
    TYPE_CHANNEL,
    CaseFacts,
    Channel,
    ChannelEntry,
    Draft,
    Instrument,
    LegalContext,
    LegalFact,
    RequestFacts,
    RequestType,
    default_lang,
)
from puente.errors import InputError, Problem, UnknownCountry, ValidationError
from puente.network import COUNTRIES


@dataclass(frozen=True)
class Element:
    key: str
    what: str  # what is missing, in words
    fix: str
    present: Callable[[RequestFacts], bool]


def _has_contact(f: RequestFacts) -> bool:
    return bool(f.contact.name and (f.contact.email or f.contact.phone))


E = Element
AUTHORITY = E(
    "requesting_authority.name",
    "the requesting authority is missing",
    "name the prosecutor's office or court seeking the measure",
    lambda f: bool(f.requesting_authority.name),
)
CONTACT = E(
    "contact",
    "no contact person with e-mail or telephone",
    "give contact.name and contact.email or contact.phone",
    _has_contact,
)
CONDUCT = E(
    "offence.conduct",
    "the conduct is not named by its criterion id",
    "use a knowledge-base id such as off.distribution or off.possession",
    lambda f: bool(f.offence.conduct),
)
OFFENCE = E(
    "offence.description",
    "the offence under investigation is not described",
    "describe the offence in a sentence",
    lambda f: bool(f.offence.description),
)
STATUTE = E(
    "offence.statute",
    "the provision of the requesting country's law is missing",
    "cite it, e.g. 'Código Penal, art. 128'",
    lambda f: bool(f.offence.statute),
)
PENALTY = E(
    "offence.penalty",
    "the penalty for the offence is missing",
    "state the penalty range, e.g. '3 to 6 years of imprisonment'",
    lambda f: bool(f.offence.penalty),
)
SUMMARY = E(
    "summary",
    "no brief summary of the facts",
    "summarise the facts in a few sentences",
    lambda f: bool(f.summary),
)
DATA = E(
    "data",
    "no data to preserve or obtain is listed",
    "list accounts, IP addresses with timestamps, URLs… under data",
    lambda f: bool(f.data),
)
RELATION = E(
    "data.relation",
    "the relation of the data to the offence is missing for some items",
    "give relation for every data item",
    lambda f: bool(f.data) and all(d.relation for d in f.data),
)
CUSTODIAN = E(
    "custodian",
    "no information on the custodian of the data or the location of the system",
    "give custodian.name (e.g. the provider) or custodian.location",
    lambda f: bool(f.custodian.name or f.custodian.location),
)
NECESSITY = E(
    "necessity",
    "the reason why preservation is necessary is missing",
    "explain why the data may be lost or modified",
    lambda f: bool(f.necessity),
)
MLA_FOLLOWS = E(
    "mla_to_follow",
    "the request does not state that a mutual legal assistance request will follow",
    "set mla_to_follow: true",
    lambda f: f.mla_to_follow is True,
)
RELATED = E(
    "related_request",
    "the preservation request this disclosure follows is not named",
    "give related_request (its Puente id or reference)",
    lambda f: bool(f.related_request),
)
ASSISTANCE = E(
    "assistance_sought",
    "the assistance sought is not described",
    "describe the measure (search, seizure, disclosure, subscriber information…)",
    lambda f: bool(f.assistance_sought),
)
EMERGENCY = E(
    "emergency_reason",
    "the emergency is not explained",
    "state the imminent risk to the life or safety of a person",
    lambda f: bool(f.emergency_reason),
)

# Mandatory elements per type. Preservation follows Budapest Art. 29(2): (a) authority,
# (b) offence and summary, (c) data and relation, (d) custodian, (e) necessity, (f) MLA follows.
ELEMENTS: dict[RequestType, tuple[Element, ...]] = {
    RequestType.PRESERVATION: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        SUMMARY,
        DATA,
        RELATION,
        CUSTODIAN,
        NECESSITY,
        MLA_FOLLOWS,
    ),
    RequestType.TRAFFIC_DISCLOSURE: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        SUMMARY,
        RELATED,
        DATA,
        CUSTODIAN,
        NECESSITY,
    ),
    RequestType.MLA_STORED_DATA: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        STATUTE,
        PENALTY,
        SUMMARY,
        DATA,
        RELATION,
        CUSTODIAN,
        ASSISTANCE,
    ),
    RequestType.EMERGENCY: (AUTHORITY, CONTACT, CONDUCT, SUMMARY, EMERGENCY, DATA, CUSTODIAN),
    RequestType.PROVIDER_DIRECT: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        STATUTE,
        SUMMARY,
        DATA,
        CUSTODIAN,
    ),
    RequestType.IBERRED: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        STATUTE,
        PENALTY,
        SUMMARY,
        ASSISTANCE,
    ),
    RequestType.MLA_GENERIC: (
        AUTHORITY,
        CONTACT,
        CONDUCT,
        OFFENCE,
        STATUTE,
        PENALTY,
        SUMMARY,
        ASSISTANCE,
    ),
}

# Types whose execution may be refused without dual criminality. Not preservation
# (Budapest Art. 29(3)) nor the disclosure that belongs to it (Art. 30).
DUAL_CRIMINALITY: frozenset[RequestType] = frozenset(
    {RequestType.MLA_STORED_DATA, RequestType.IBERRED, RequestType.MLA_GENERIC}
)

INSTRUMENTS: dict[str, tuple[str, str]] = {
    # key: (criterion id in the knowledge base, name)
    "budapest": ("coop.party_budapest", "Convention on Cybercrime (Budapest, ETS 185)"),
    "protocol2": (
        "coop.party_budapest_protocol2",
        "Second Additional Protocol to the Convention on Cybercrime (CETS 224)",
    ),
    "medellin": (
        "coop.party_medellin",
        "Tratado de Medellín (electronic transmission through Iber@)",
    ),
    "nassau": (
        "coop.party_nassau",
        "Inter-American Convention on Mutual Assistance in Criminal Matters (Nassau, 1992)",
    ),
}

TYPE_ARTICLE: dict[RequestType, tuple[str, str]] = {
    RequestType.PRESERVATION: ("budapest", "Art. 29"),
    RequestType.TRAFFIC_DISCLOSURE: ("budapest", "Art. 30"),
    RequestType.MLA_STORED_DATA: ("budapest", "Art. 31"),
    RequestType.EMERGENCY: ("budapest", "Art. 35"),
    RequestType.PROVIDER_DIRECT: ("protocol2", "Art. 7"),
    RequestType.IBERRED: ("medellin", ""),
    RequestType.MLA_GENERIC: ("nassau", ""),
}

PROVIDER_ART7_KINDS = frozenset({"subscriber", "account", "email", "ip", "phone", "url"})


def instrument(legal: LegalContext, key: str, article: str) -> Instrument:
    criterion, name = INSTRUMENTS[key]
    return Instrument(
        key=key,
        name=name,
        article=article,
        requesting=legal.party(legal.requesting_country, criterion),
        requested=legal.party(legal.requested_country, criterion),
    )


def _fact_text(fact: LegalFact | None, country: str) -> str:
    if fact is None or fact.status == "unknown":
        return f"{country}: unknown in the knowledge base"
    cite = fact.citation or "no citation"
    conf = f", confidence {fact.confidence}" if fact.confidence else ""
    as_of = f", as of {fact.as_of.isoformat()}" if fact.as_of else ""
    return f"{country}: {fact.status} ({cite}; {fact.source or 'no source'}{as_of}{conf})"


def _instrument_text(inst: Instrument, legal: LegalContext) -> str:
    return (
        f"{inst.name}: "
        f"{_fact_text(inst.requesting, legal.requesting_country)}; "
        f"{_fact_text(inst.requested, legal.requested_country)}"
    )


def check_country(code: str, role: str) -> str:
    value = (code or "").strip().upper()
    if value not in COUNTRIES:
        raise UnknownCountry(
            f"{role} country {code!r} is not in the network: use one of {', '.join(COUNTRIES)}"
        )
    return value


def check_type(value: str) -> RequestType:
    try:
        return RequestType(value)
    except ValueError:
        raise InputError(
            f"unknown request type {value!r}: use one of {', '.join(t.value for t in RequestType)}"
        ) from None


def _check_elements(kind: RequestType, facts: RequestFacts) -> list[Problem]:
    return [Problem(e.key, e.what, e.fix) for e in ELEMENTS[kind] if not e.present(facts)]


def _aware(ts: datetime) -> bool:
    return ts.tzinfo is not None and ts.tzinfo.utcoffset(ts) is not None


def _check_data(kind: RequestType, facts: RequestFacts, now: datetime) -> list[Problem]:
    problems: list[Problem] = []
    for i, item in enumerate(facts.data):
        where = f"data[{i}]"
        if item.kind not in DATA_KINDS:
            problems.append(
                Problem(
                    f"{where}.kind", f"unknown kind {item.kind!r}", f"use {', '.join(DATA_KINDS)}"
                )
            )
        if not item.value:
            problems.append(Problem(f"{where}.value", "no value", "give the identifier itself"))
        if item.kind == "ip":
            try:
                ipaddress.ip_address(item.value)
            except ValueError:
                problems.append(
                    Problem(
                        f"{where}.value",
                        f"{item.value!r} is not a valid IPv4 or IPv6 address",
                        "copy the address exactly, e.g. 203.0.113.7 or 2001:db8::1",
                    )
                )
            if item.timestamp is None and not item.timestamp_text:
                problems.append(
                    Problem(
                        f"{where}.timestamp",
                        f"IP address {item.value} has no timestamp",
                        "give the date, time and time zone of its use, "
                        "e.g. 2026-10-01T14:03:00-03:00",
                    )
                )
        if item.timestamp is not None:
            if not _aware(item.timestamp):
                problems.append(
                    Problem(
                        f"{where}.timestamp",
                        f"{item.timestamp_text} has no time zone",
                        "add the UTC offset, e.g. -03:00 or Z; providers log in UTC",
                    )
                )
            elif item.timestamp > now:
                problems.append(
                    Problem(
                        f"{where}.timestamp",
                        f"{item.timestamp_text} is in the future",
                        "check the date; it must be before now",
                    )
                )
    for where, value in facts.dates:
        if isinstance(value, datetime):
            if not _aware(value):
                problems.append(Problem(where, f"{value.isoformat()} has no time zone", "add it"))
            elif value > now:
                problems.append(Problem(where, f"{value.isoformat()} is in the future", "fix it"))
        elif value > now.date():
            problems.append(Problem(where, f"{value.isoformat()} is in the future", "fix it"))
    if (
        kind is RequestType.PRESERVATION
        and not 1 <= facts.preservation_days <= PRESERVATION_MAX_DAYS
    ):
        problems.append(
            Problem(
                "preservation_days",
                f"{facts.preservation_days} days is outside 1-{PRESERVATION_MAX_DAYS}",
                "ask for up to 90 days; renew with a new request (renewal_of) before expiry",
            )
        )
    if facts.urgency not in ("normal", "urgent"):
        problems.append(
            Problem("urgency", f"unknown urgency {facts.urgency!r}", "normal or urgent")
        )
    return problems


@dataclass(frozen=True)
class Notice(Problem):
    """A warning that travels with the draft; code + values let templates word it."""

    code: str = ""
    facts: tuple[LegalFact | None, ...] = ()
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Checked:
    instrument: Instrument | None
    addressee: ChannelEntry | None
    channel_note: str
    warnings: tuple[Notice, ...]


def _check_legal(
    kind: RequestType, facts: RequestFacts, legal: LegalContext
) -> tuple[Instrument | None, str, list[Problem], list[Notice]]:
    problems: list[Problem] = []
    warnings: list[Notice] = []
    frm, to = legal.requesting_country, legal.requested_country
    key, article = TYPE_ARTICLE[kind]
    inst = instrument(legal, key, article)
    note = ""
    stated = facts.legal_basis
    chosen: Instrument | None = inst

    if kind in (
        RequestType.PRESERVATION,
        RequestType.TRAFFIC_DISCLOSURE,
        RequestType.MLA_STORED_DATA,
    ):
        if inst.excluded:
            problems.append(
                Problem(
                    "legal_basis",
                    f"Budapest {article} is not available between {frm} and {to}: "
                    + _instrument_text(inst, legal),
                    "use --type mla_generic (Nassau or a bilateral treaty), iberred, "
                    "or emergency through police channels",
                )
            )
        elif not inst.common:
            warnings.append(
                Notice(
                    "legal_basis",
                    "party status under Budapest is not confirmed for both countries: "
                    + _instrument_text(inst, legal),
                    "verify with the CoE Treaty Office before sending",
                    code="budapest_unconfirmed",
                    facts=(inst.requesting, inst.requested),
                )
            )
    elif kind is RequestType.EMERGENCY:
        if not inst.common:
            warnings.append(
                Notice(
                    "channel",
                    "the 24/7 network of Budapest Art. 35 is not confirmed between both "
                    "countries: " + _instrument_text(inst, legal),
                    "send through the requested country's 24/7 point if it has one, "
                    "or through police channels (INTERPOL)",
                    code="network_247_unconfirmed",
                    facts=(inst.requesting, inst.requested),
                )
            )
    elif kind is RequestType.PROVIDER_DIRECT:
        if inst.common:
            bad = sorted({d.kind for d in facts.data} - PROVIDER_ART7_KINDS)
            if bad:
                problems.append(
                    Problem(
                        "data",
                        f"Second Protocol Art. 7 orders cover subscriber information only, "
                        f"not {', '.join(bad)}",
                        "ask for traffic or content data with mla_stored_data",
                    )
                )
        else:
            chosen = None
            note = "provider_own_channel"
            warnings.append(
                Notice(
                    "channel",
                    "Second Protocol Art. 7 is not available between both countries ("
                    + _instrument_text(inst, legal)
                    + "): the draft goes through the provider's own law-enforcement channel "
                    "and the provider may decline",
                    "if the provider declines, use mla_stored_data",
                    code="provider_own_channel",
                    facts=(inst.requesting, inst.requested),
                )
            )
    if kind in (RequestType.IBERRED, RequestType.MLA_GENERIC):
        if kind is RequestType.IBERRED and not inst.common:
            warnings.append(
                Notice(
                    "channel",
                    "the Tratado de Medellín is not confirmed in force between both countries "
                    "(" + _instrument_text(inst, legal) + "): documents sent through Iber@ "
                    "may not count as originals",
                    "ask the central authority whether originals must follow",
                    code="medellin_unconfirmed",
                    facts=(inst.requesting, inst.requested),
                )
            )
        nassau = instrument(legal, "nassau", "")
        if stated.treaty:
            chosen = Instrument(
                key="bilateral",
                name=stated.treaty,
                article=stated.citation,
                requesting=None,
                requested=None,
            )
        elif stated.reciprocity:
            chosen = Instrument(
                key="reciprocity", name="reciprocity", article="", requesting=None, requested=None
            )
        elif nassau.common:
            chosen = nassau
        else:
            problems.append(
                Problem(
                    "legal_basis",
                    f"no common instrument between {frm} and {to} is recorded: "
                    + _instrument_text(nassau, legal)
                    + "; no bilateral treaty stated",
                    "name a bilateral treaty in legal_basis.treaty (with citation) "
                    "or state legal_basis.reciprocity: true",
                )
            )

    if kind in DUAL_CRIMINALITY and facts.offence.conduct:
        fact = legal.conduct_requested
        if fact is None or fact.status == "unknown":
            warnings.append(
                Notice(
                    "offence.conduct",
                    f"whether {facts.offence.conduct} is an offence in {to} is unknown in the "
                    "knowledge base (dual criminality not confirmed)",
                    f"check {to}'s law before sending",
                    code="conduct_unknown",
                    facts=(fact,),
                    values=(("conduct", facts.offence.conduct),),
                )
            )
        elif fact.status == "not_met":
            warnings.append(
                Notice(
                    "offence.conduct",
                    f"the conduct {facts.offence.conduct} is not criminalised in {to}: "
                    + _fact_text(fact, to)
                    + " - assistance may be refused for lack of dual criminality",
                    "describe the conduct under an offence that exists in both countries, "
                    "or ask whether the requested country assists without dual criminality",
                    code="conduct_not_met",
                    facts=(fact,),
                    values=(("conduct", facts.offence.conduct),),
                )
            )
        elif fact.status == "partial":
            warnings.append(
                Notice(
                    "offence.conduct",
                    f"the conduct {facts.offence.conduct} is only partly criminalised in {to}: "
                    + _fact_text(fact, to),
                    "show that the facts fall within the part that is an offence",
                    code="conduct_partial",
                    facts=(fact,),
                    values=(("conduct", facts.offence.conduct),),
                )
            )
    return chosen, note, problems, warnings


def _addressee(
    kind: RequestType, facts: RequestFacts, legal: LegalContext
) -> tuple[ChannelEntry | None, list[Notice]]:
    channel = TYPE_CHANNEL[kind]
    if channel is Channel.PROVIDER:
        return (
            ChannelEntry(
                country=legal.requested_country,
                channel=channel.value,
                name=facts.custodian.name,
                detail=facts.custodian.location,
            ),
            [],
        )
    entry = legal.channel(channel.value)
    if entry is None or not entry.known:
        label = "24/7 contact point" if channel is Channel.CONTACT_24_7 else "central authority"
        return entry, [
            Notice(
                "addressee",
                f"the {label} of {legal.requested_country} is unknown in the channels pack",
                "fill in the addressee by hand and report it to the pack maintainers",
                code="addressee_unknown",
                values=(("channel", channel.value),),
            )
        ]
    return entry, []


def validate(
    kind: RequestType,
    case: CaseFacts,
    facts: RequestFacts,
    legal: LegalContext,
    *,
    now: datetime,
    parse_problems: Sequence[Problem] = (),
) -> Checked:
    """Every check at once; raises ValidationError listing all problems."""
    problems = list(parse_problems)
    problems += _check_elements(kind, facts)
    problems += _check_data(kind, facts, now)
    if legal.requesting_country == legal.requested_country:
        problems.append(
            Problem("--to", "the requested country is the requesting country", "pick another")
        )
    chosen, note, legal_problems, warnings = _check_legal(kind, facts, legal)
    problems += legal_problems
    addressee, channel_warnings = _addressee(kind, facts, legal)
    warnings += channel_warnings
    if case.country and case.country != legal.requesting_country:
        warnings.append(
            Notice(
                "--from",
                f"the case belongs to {case.country} but the request comes from "
                f"{legal.requesting_country}",
                "check --from",
                code="case_country",
                values=(("case_country", case.country),),
            )
        )
    if problems:
        raise ValidationError(
            f"{kind.value} request {legal.requesting_country}->"
            f"{legal.requested_country} for case {case.case_id}",
            problems,
        )
    return Checked(chosen, addressee, note, tuple(warnings))


def prepare(
    kind: RequestType,
    case: CaseFacts,
    facts: RequestFacts,
    legal: LegalContext,
    *,
    lang: str | None,
    now: datetime,
    parse_problems: Sequence[Problem] = (),
) -> Draft:
    """Validate and assemble a Draft (not yet rendered)."""
    language = lang or default_lang(legal.requested_country)
    if language not in DRAFT_LANGS:
        raise InputError(f"unknown language {language!r}: use one of {', '.join(DRAFT_LANGS)}")
    checked = validate(kind, case, facts, legal, now=now, parse_problems=parse_problems)
    return Draft(
        type=kind,
        lang=language,
        case=case,
        requesting_country=legal.requesting_country,
        requested_country=legal.requested_country,
        facts=facts,
        legal=legal,
        instrument=checked.instrument,
        addressee=checked.addressee,
        channel_note=checked.channel_note,
        warnings=tuple(str(w) for w in checked.warnings),
        notices=checked.warnings,
        created_at=now,
    )
