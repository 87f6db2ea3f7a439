"""Validation: every mandatory element, data checks, legal checks, all problems at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from puente.drafting.facts import parse_facts
from puente.drafting.model import RequestType
from puente.drafting.validation import ELEMENTS, check_country, check_type, prepare
from puente.errors import InputError, UnknownCountry, ValidationError

from .conftest import CASE, NOW, facts_dict, legal_context, parsed


def _blank(*path: str) -> Callable[[dict[str, Any]], None]:
    def apply(raw: dict[str, Any]) -> None:
        target = raw
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)

    return apply


def _no_relation(raw: dict[str, Any]) -> None:
    raw["data"][0].pop("relation")


def _no_contact_means(raw: dict[str, Any]) -> None:
    raw["contact"] = {"name": "Ana Pérez"}


REMOVE: dict[str, Callable[[dict[str, Any]], None]] = {
    "requesting_authority.name": _blank("requesting_authority", "name"),
    "contact": _no_contact_means,
    "offence.conduct": _blank("offence", "conduct"),
    "offence.description": _blank("offence", "description"),
    "offence.statute": _blank("offence", "statute"),
    "offence.penalty": _blank("offence", "penalty"),
    "summary": _blank("summary"),
    "data": lambda raw: raw.__setitem__("data", []),
    "data.relation": _no_relation,
    "custodian": _blank("custodian"),
    "necessity": _blank("necessity"),
    "mla_to_follow": _blank("mla_to_follow"),
    "related_request": _blank("related_request"),
    "assistance_sought": _blank("assistance_sought"),
    "emergency_reason": _blank("emergency_reason"),
}

CASES = [(kind, element.key) for kind, elements in ELEMENTS.items() for element in elements]


def _problems(kind: RequestType, raw: dict[str, Any], **legal: Any) -> list[str]:
    facts, parse_problems = parse_facts(raw)
    with pytest.raises(ValidationError) as info:
        prepare(
            kind,
            CASE,
            facts,
            legal_context(**legal),
            lang=None,
            now=NOW,
            parse_problems=parse_problems,
        )
    return [p.where for p in info.value.problems]


def test_complete_facts_pass_for_every_type() -> None:
    for kind in RequestType:
        draft = prepare(kind, CASE, parsed(), legal_context(), lang=None, now=NOW)
        assert draft.lang == "pt"  # BR is requested: Portuguese by default


def test_preservation_has_the_six_elements_of_article_29() -> None:
    keys = {e.key for e in ELEMENTS[RequestType.PRESERVATION]}
    # (a) authority (b) offence + summary (c) data + relation (d) custodian (e) necessity (f) MLA
    assert {
        "requesting_authority.name",
        "offence.description",
        "summary",
        "data",
        "data.relation",
        "custodian",
        "necessity",
        "mla_to_follow",
    } <= keys


@pytest.mark.parametrize(("kind", "key"), CASES, ids=[f"{k.value}-{e}" for k, e in CASES])
def test_each_missing_element_is_reported(kind: RequestType, key: str) -> None:
    raw = copy.deepcopy(facts_dict())
    REMOVE[key](raw)
    wheres = _problems(kind, raw)
    assert key in wheres


def test_all_problems_listed_at_once_with_fixes() -> None:
    raw = facts_dict()
    for key in ("summary", "necessity", "custodian", "mla_to_follow"):
        REMOVE[key](raw)
    raw["data"][0]["value"] = "999.1.1.1"
    facts, _parse_problems = parse_facts(raw)
    with pytest.raises(ValidationError) as info:
        prepare(RequestType.PRESERVATION, CASE, facts, legal_context(), lang=None, now=NOW)
    wheres = [p.where for p in info.value.problems]
    assert {"summary", "necessity", "custodian", "mla_to_follow", "data[0].value"} <= set(wheres)
    assert all(p.fix for p in info.value.problems)


def test_malformed_ip() -> None:
    raw = facts_dict()
    raw["data"][0]["value"] = "203.0.113.300"
    assert "data[0].value" in _problems(RequestType.PRESERVATION, raw)


def test_ip_without_timestamp() -> None:
    raw = facts_dict()
    raw["data"][0].pop("timestamp")
    assert "data[0].timestamp" in _problems(RequestType.PRESERVATION, raw)


def test_timestamp_without_time_zone() -> None:
    raw = facts_dict()
    raw["data"][0]["timestamp"] = "2026-10-01T14:03:00"
    facts, _ = parse_facts(raw)
    with pytest.raises(ValidationError, match="has no time zone"):
        prepare(RequestType.PRESERVATION, CASE, facts, legal_context(), lang=None, now=NOW)


def test_date_without_time_is_not_a_timestamp() -> None:
    raw = facts_dict()
    raw["data"][0]["timestamp"] = "2026-10-01"
    assert "data[0].timestamp" in _problems(RequestType.PRESERVATION, raw)


def test_garbage_timestamp() -> None:
    raw = facts_dict()
    raw["data"][0]["timestamp"] = "yesterday at noon"
    assert "data[0].timestamp" in _problems(RequestType.PRESERVATION, raw)


def test_future_timestamp() -> None:
    raw = facts_dict()
    raw["data"][0]["timestamp"] = "2027-01-01T00:00:00Z"
    facts, _ = parse_facts(raw)
    with pytest.raises(ValidationError, match="in the future"):
        prepare(RequestType.PRESERVATION, CASE, facts, legal_context(), lang=None, now=NOW)


def test_future_date_among_other_dates() -> None:
    raw = facts_dict()
    raw["dates"] = {"seized": "2030-01-01T00:00:00+00:00"}
    assert "dates.seized" in _problems(RequestType.PRESERVATION, raw)


@pytest.mark.parametrize("days", [0, 91, 180])
def test_preservation_period_at_most_90_days(days: int) -> None:
    raw = facts_dict()
    raw["preservation_days"] = days
    assert "preservation_days" in _problems(RequestType.PRESERVATION, raw)


def test_renewal_keeps_90_days() -> None:
    raw = facts_dict()
    raw["renewal_of"] = "PUENTE-REQ-1"
    draft = prepare(
        RequestType.PRESERVATION, CASE, parsed(raw), legal_context(), lang="es", now=NOW
    )
    assert draft.facts.renewal_of == "PUENTE-REQ-1"


def test_unknown_field_and_kind() -> None:
    raw = facts_dict()
    raw["sumary"] = "typo"
    raw["data"][1]["kind"] = "cuenta"
    wheres = _problems(RequestType.PRESERVATION, raw)
    assert "sumary" in wheres and "data[1].kind" in wheres


def test_unknown_country_and_type() -> None:
    with pytest.raises(UnknownCountry, match="'XX'"):
        check_country("XX", "requested")
    assert check_country("br", "requested") == "BR"
    with pytest.raises(InputError, match="unknown request type"):
        check_type("letter")


def test_same_country_refused() -> None:
    assert "--to" in _problems(RequestType.PRESERVATION, facts_dict(), frm="BR", to="BR")


def test_preservation_does_not_need_dual_criminality() -> None:
    draft = prepare(
        RequestType.PRESERVATION,
        CASE,
        parsed(),
        legal_context(conduct_to="not_met"),
        lang=None,
        now=NOW,
    )
    assert not any("dual criminality" in w for w in draft.warnings)


def test_conduct_not_criminalised_warns_with_citation() -> None:
    draft = prepare(
        RequestType.MLA_STORED_DATA,
        CASE,
        parsed(),
        legal_context(conduct_to="not_met"),
        lang=None,
        now=NOW,
    )
    (warning,) = [w for w in draft.warnings if "not criminalised" in w]
    assert "BR example citation for off.distribution" in warning
    assert "example (not a real legal fact)" in warning and "2026-01-15" in warning


def test_budapest_not_common_blocks_preservation() -> None:
    parties = {"coop.party_budapest": ("met", "not_met")}
    wheres = _problems(RequestType.PRESERVATION, facts_dict(), to="UY", parties=parties)
    assert "legal_basis" in wheres


def test_budapest_unknown_only_warns() -> None:
    parties = {"coop.party_budapest": ("met", "unknown")}
    draft = prepare(
        RequestType.PRESERVATION,
        CASE,
        parsed(),
        legal_context(parties=parties),
        lang=None,
        now=NOW,
    )
    assert any("not confirmed" in w for w in draft.warnings)


def test_mla_without_common_instrument_says_so() -> None:
    parties = {"coop.party_nassau": ("met", "not_met")}
    facts, _ = parse_facts(facts_dict())
    with pytest.raises(ValidationError) as info:
        prepare(
            RequestType.MLA_GENERIC,
            CASE,
            facts,
            legal_context(to="UY", parties=parties),
            lang=None,
            now=NOW,
        )
    (problem,) = info.value.problems
    assert "no common instrument between AR and UY" in problem.what
    assert "UY example citation for coop.party_nassau" in problem.what
    assert "bilateral" in problem.fix


def test_mla_with_stated_bilateral_treaty() -> None:
    raw = facts_dict()
    raw["legal_basis"] = {"treaty": "Tratado bilateral AR-UY", "citation": "Ley 0, art. 1"}
    parties = {"coop.party_nassau": ("met", "not_met")}
    draft = prepare(
        RequestType.MLA_GENERIC,
        CASE,
        parsed(raw),
        legal_context(to="UY", parties=parties),
        lang=None,
        now=NOW,
    )
    assert draft.instrument is not None and draft.instrument.key == "bilateral"
    assert draft.lang == "es"


def test_provider_direct_falls_back_to_provider_channel() -> None:
    parties = {"coop.party_budapest_protocol2": ("met", "not_met")}
    draft = prepare(
        RequestType.PROVIDER_DIRECT,
        CASE,
        parsed(),
        legal_context(parties=parties),
        lang=None,
        now=NOW,
    )
    assert draft.instrument is None
    assert draft.channel_note == "provider_own_channel"
    assert draft.addressee is not None and draft.addressee.name == "Proveedor Ejemplo S.A."


def test_provider_direct_art7_is_subscriber_only() -> None:
    raw = facts_dict()
    raw["data"].append({"kind": "content", "value": "mensajes", "relation": "x"})
    assert "data" in _problems(RequestType.PROVIDER_DIRECT, raw)


def test_unknown_addressee_warns() -> None:
    draft = prepare(
        RequestType.PRESERVATION,
        CASE,
        parsed(),
        legal_context(known_channels=False),
        lang=None,
        now=NOW,
    )
    assert any("24/7 contact point of BR is unknown" in w for w in draft.warnings)


def test_language_choice() -> None:
    assert (
        prepare(
            RequestType.PRESERVATION, CASE, parsed(), legal_context(to="MX"), lang=None, now=NOW
        ).lang
        == "es"
    )
    assert (
        prepare(RequestType.PRESERVATION, CASE, parsed(), legal_context(), lang="en", now=NOW).lang
        == "en"
    )
    with pytest.raises(InputError, match="unknown language"):
        prepare(RequestType.PRESERVATION, CASE, parsed(), legal_context(), lang="fr", now=NOW)
