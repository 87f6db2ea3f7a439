"""Drafts per type and language: golden files, and every mandatory element in the text.

Regenerate the golden files with PUENTE_UPDATE_GOLDEN=1 after a deliberate template change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from puente.drafting.model import RequestType
from puente.drafting.render import TEMPLATES, render
from puente.drafting.validation import ELEMENTS, prepare

from .conftest import CASE, NOW, facts_dict, legal_context, parsed

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "drafting"
LANGS = ("es", "pt", "en")
# Read at import: the autouse fixture clears PUENTE_* variables before each test.
UPDATE = os.environ.get("PUENTE_UPDATE_GOLDEN") == "1"
RAW = facts_dict()

# What of each mandatory element must appear in the draft, per language where it is a phrase.
MLA_PHRASE = {
    "es": "solicitud de asistencia jurídica mutua",
    "pt": "pedido de assistência jurídica mútua",
    "en": "request for mutual assistance",
}


def _expected(key: str, lang: str) -> list[str]:
    data = RAW["data"]
    return {
        "requesting_authority.name": [RAW["requesting_authority"]["name"]],
        "contact": [RAW["contact"]["name"], RAW["contact"]["email"], RAW["contact"]["phone"]],
        "offence.conduct": [RAW["offence"]["conduct"]],
        "offence.description": [RAW["offence"]["description"]],
        "offence.statute": [RAW["offence"]["statute"]],
        "offence.penalty": [RAW["offence"]["penalty"]],
        "summary": [RAW["summary"]],
        "data": [data[0]["value"], data[0]["timestamp"], data[1]["value"]],
        "data.relation": [data[0]["relation"], data[1]["relation"]],
        "custodian": [RAW["custodian"]["name"], RAW["custodian"]["location"]],
        "necessity": [RAW["necessity"]],
        "mla_to_follow": [MLA_PHRASE[lang]],
        "related_request": [RAW["related_request"]],
        "assistance_sought": [RAW["assistance_sought"]],
        "emergency_reason": [RAW["emergency_reason"]],
    }[key]


def _draft_text(kind: RequestType, lang: str) -> str:
    return render(prepare(kind, CASE, parsed(), legal_context(), lang=lang, now=NOW)).text


PAIRS = [(kind, lang) for kind in RequestType for lang in LANGS]


def test_a_template_per_type_and_language() -> None:
    for kind, lang in PAIRS:
        assert (TEMPLATES / f"{kind.value}.{lang}.j2").is_file()


@pytest.mark.parametrize(("kind", "lang"), PAIRS, ids=[f"{k.value}.{lang}" for k, lang in PAIRS])
def test_golden_and_mandatory_elements(kind: RequestType, lang: str) -> None:
    text = _draft_text(kind, lang)
    for element in ELEMENTS[kind]:
        for needle in _expected(element.key, lang):
            assert needle in text, f"{element.key}: {needle!r} missing from {kind.value}.{lang}"
    golden = GOLDEN / f"{kind.value}.{lang}.md"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} missing: run with PUENTE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_preservation_ar_to_br_is_in_portuguese() -> None:
    draft = render(
        prepare(RequestType.PRESERVATION, CASE, parsed(), legal_context(), lang=None, now=NOW)
    )
    assert draft.lang == "pt"
    assert draft.text.startswith("# Pedido de conservação expedita")
    assert "art. 29" in draft.text and "90 dias, prorrogável" in draft.text


def test_not_criminalised_warning_is_printed_with_citation() -> None:
    draft = render(
        prepare(
            RequestType.MLA_GENERIC,
            CASE,
            parsed(),
            legal_context(conduct_to="not_met"),
            lang="es",
            now=NOW,
        )
    )
    assert "## Notas para revisión" in draft.text
    assert "tipificada en BR: no (BR example citation for off.distribution" in draft.text


def test_unknown_addressee_left_visible() -> None:
    draft = render(
        prepare(
            RequestType.PRESERVATION,
            CASE,
            parsed(),
            legal_context(known_channels=False),
            lang="es",
            now=NOW,
        )
    )
    assert "[DESCONOCIDO — completar: punto de contacto 24/7 de Brasil (BR)]" in draft.text


def test_no_statute_wording_in_product_text() -> None:
    # Terminology: the product's own text never says "pornografía infantil".
    for path in TEMPLATES.glob("*.j2"):
        lowered = path.read_text(encoding="utf-8").lower()
        assert "pornograf" not in lowered and "child pornography" not in lowered, path


@pytest.mark.parametrize(
    ("lang", "needle"),
    [
        ("es", "La conducta off.distribution no es delito en BR: BR: no (BR example citation"),
        ("pt", "A conduta off.distribution não é crime no Brasil: BR: não (BR example citation"),
        ("en", "The conduct off.distribution is not an offence in BR: BR: no (BR example citation"),
    ],
)
def test_review_notes_in_the_draft_language(lang: str, needle: str) -> None:
    draft = render(
        prepare(
            RequestType.MLA_STORED_DATA,
            CASE,
            parsed(),
            legal_context(conduct_to="not_met"),
            lang=lang,
            now=NOW,
        )
    )
    assert needle in draft.text


def test_yaml_timestamps_unquoted() -> None:
    import yaml

    from puente.drafting.facts import parse_facts

    raw = yaml.safe_load(
        "data:\n"
        "  - {kind: ip, value: 192.0.2.1, timestamp: 2026-10-01T14:03:00-03:00}\n"
        "  - {kind: ip, value: 192.0.2.2, timestamp: 2026-10-01 14:03:00}\n"
    )
    facts, problems = parse_facts(raw)
    assert problems == []
    assert facts.data[0].timestamp is not None and facts.data[0].timestamp.tzinfo is not None
    assert facts.data[1].timestamp is not None and facts.data[1].timestamp.tzinfo is None


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_golden_with_review_notes(lang: str) -> None:
    legal = legal_context(
        parties={"coop.party_budapest": ("met", "unknown")},
        conduct_to="not_met",
        known_channels=False,
    )
    text = render(
        prepare(RequestType.MLA_STORED_DATA, CASE, parsed(), legal, lang=lang, now=NOW)
    ).text
    golden = GOLDEN / f"mla_stored_data.notes.{lang}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_draft_is_dated_in_the_requesting_countrys_time_zone() -> None:
    from datetime import UTC, datetime

    # 02:00 UTC on 2 Oct is still the evening of 1 Oct in Mexico City (UTC-6).
    late = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    draft = prepare(
        RequestType.PRESERVATION, CASE, parsed(), legal_context("MX", "BR"), lang="pt", now=late
    )
    text = render(draft).text
    assert "Data: 2026-10-01" in text and "2026-10-02" not in text


def test_portuguese_country_names_take_their_article() -> None:
    from puente.drafting.render import pt_in, pt_of

    assert pt_in("BR", "Brasil") == "no Brasil" and pt_of("BR", "Brasil") == "do Brasil"
    assert pt_in("AR", "Argentina") == "na Argentina" and pt_of("ES", "Espanha") == "da Espanha"
    assert pt_in("HN", "Honduras") == "em Honduras" and pt_of("SV", "El Salvador") == (
        "de El Salvador"
    )
    legal = legal_context(known_channels=False)
    text = render(prepare(RequestType.PRESERVATION, CASE, parsed(), legal, lang="pt", now=NOW)).text
    assert "aplicável na Argentina" in text and "24/7 do Brasil (BR)" in text
    assert " em Argentina" not in text and " de Brasil" not in text


def test_portuguese_goldens_contract_prepositions() -> None:
    import re

    # "em o país", "de a Argentina": Portuguese contracts these (no, na, do, da).
    for path in sorted(GOLDEN.glob("*.pt.md")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(em|de) (o|a|os|as) ", text), path.name


def test_timestamps_are_also_given_in_utc() -> None:
    text = _draft_text(RequestType.PRESERVATION, "es")
    # 14:03 at -03:00 is 17:03 UTC: the provider searches its logs in UTC.
    assert "2026-10-01T14:03:00-03:00 (UTC: 2026-10-01T17:03:00Z)" in text


@pytest.mark.parametrize(
    ("lang", "title", "says"),
    [
        (
            "es",
            "Solicitud de emergencia (punto de contacto 24/7 o canales policiales)",
            "no consta",
        ),
        ("pt", "Pedido de emergência (ponto de contato 24/7 ou canais policiais)", "não consta"),
        ("en", "Emergency request (24/7 contact point or police channels)", "not confirmed"),
    ],
)
def test_emergency_to_a_non_party_does_not_claim_article_35(
    lang: str, title: str, says: str
) -> None:
    legal = legal_context(
        "AR", "MX", parties={"coop.party_budapest": ("met", "not_met")}, known_channels=False
    )
    text = render(prepare(RequestType.EMERGENCY, CASE, parsed(), legal, lang=lang, now=NOW)).text
    assert text.startswith(f"# {title}\n")
    assert says in text.split("## 3.")[1].split("## 4.")[0]
    assert "INTERPOL" in text


def test_conduct_is_named_in_the_readers_words_with_its_id() -> None:
    from dataclasses import replace as dc_replace

    legal = dc_replace(
        legal_context(conduct_to="not_met"), conduct_title="Distribuição ou transmissão"
    )
    text = render(
        prepare(RequestType.MLA_STORED_DATA, CASE, parsed(), legal, lang="pt", now=NOW)
    ).text
    assert "Conduta «Distribuição ou transmissão» (off.distribution) tipificada em BR" in text
    assert "> A conduta «Distribuição ou transmissão» (off.distribution) não é crime" in text


def test_the_knowledge_base_gives_the_conduct_title() -> None:
    from puente.drafting.knowledge import legal_context as from_kb
    from puente.legal.catalog import load_catalog

    legal = from_kb(load_catalog(), "AR", "BR", "off.distribution", (), "es")
    assert legal.conduct_title == "Distribución o transmisión"
