"""The harmonised procedure: pack, per-country and regional text, checklist."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from puente.drafting.model import RequestType
from puente.drafting.procedure import (
    PACK,
    checklist,
    load_procedure,
    parse_procedure,
    render_procedure,
)
from puente.errors import FormatError, NotFound, UnknownCountry
from puente.network import COUNTRIES

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "drafting"
UPDATE = os.environ.get("PUENTE_UPDATE_GOLDEN") == "1"
STEPS = [
    "receipt",
    "preservation",
    "subscriber_identification",
    "search_seizure",
    "forensic_triage",
    "victim_identification",
    "cross_border",
    "charge_trial",
]


@dataclass(frozen=True)
class _Finding:
    status: str
    citation: str | None = None
    source: str | None = None
    as_of: date | None = None
    confidence: str | None = None


@dataclass(frozen=True)
class _Texts:
    text: str

    def get(self, lang: str) -> str:
        return f"{self.text} [{lang}]"


@dataclass(frozen=True)
class _Criterion:
    title: _Texts


@dataclass(frozen=True)
class _Provision:
    source: str
    as_of: date
    confidence: str


class FixedKB:
    """Chile knows preservation; everything else unknown. Fixed, so golden files hold."""

    def finding(self, country: str, criterion_id: str) -> Any:
        if (country, criterion_id) == ("CL", "proc.expedited_preservation"):
            return _Finding("met", "Example code, art. 1", "example source", date(2026, 1, 1), "M")
        raise NotFound("no finding")

    def country_name(self, code: str, lang: str) -> str:
        return {"CL": "Chile", "BR": "Brasil"}.get(code, code)

    def criterion(self, criterion_id: str) -> Any:
        return _Criterion(_Texts(criterion_id))

    def provision(self, ref: str) -> Any:
        if ref.startswith("budapest:"):
            return _Provision("example treaty source", date(2026, 1, 2), "H")
        raise NotFound(ref)

    def cite(self, ref: str) -> str:
        return f"Budapest Convention, Art. {ref.split(':')[1]}"


def test_the_steps_in_order() -> None:
    assert [s.id for s in load_procedure().steps] == STEPS
    preservation = load_procedure().step("preservation")
    assert RequestType.PRESERVATION in preservation.requests
    assert preservation.time_limits[0].provision == "budapest:16"


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_country_golden(lang: str) -> None:
    text = render_procedure(load_procedure(), FixedKB(), ["CL"], lang, generated=date(2026, 11, 1))
    assert "Example code, art. 1" in text  # the country's citation
    assert "Budapest Convention, Art. 16" in text and "example treaty source" in text
    golden = GOLDEN / f"procedure.CL.{lang}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_regional_covers_every_country() -> None:
    text = render_procedure(
        load_procedure(), FixedKB(), list(COUNTRIES), "es", generated=date(2026, 11, 1)
    )
    for code in COUNTRIES:
        assert f"({code}):" in text
    assert "documento regional" in text
    assert text.count("desconocido") > 50  # unknown stays visible, never guessed


def test_unknown_country() -> None:
    with pytest.raises(UnknownCountry):
        render_procedure(load_procedure(), FixedKB(), ["US"], "es", generated=date(2026, 1, 1))


def test_pack_errors() -> None:
    import yaml

    data = yaml.safe_load(PACK.read_text(encoding="utf-8"))
    data["steps"][0]["title"].pop("pt")
    with pytest.raises(FormatError, match="title: needs es, pt and en"):
        parse_procedure(data, "p.yaml")
    data = yaml.safe_load(PACK.read_text(encoding="utf-8"))
    data["steps"][1]["requests"] = ["letter"]
    with pytest.raises(FormatError, match="letter"):
        parse_procedure(data, "p.yaml")
    with pytest.raises(NotFound, match="unknown procedure step"):
        load_procedure().step("lunch")


def test_checklist() -> None:
    items = checklist(
        load_procedure(),
        ["case_created", "evidence_registered", "checklist"],
        [(1, RequestType.PRESERVATION, "sent"), (2, RequestType.MLA_GENERIC, "draft")],
        ["victim_identification"],
        "en",
    )
    done = {i.step_id: i.done for i in items}
    assert done == {
        "receipt": True,
        "preservation": True,
        "subscriber_identification": False,
        "search_seizure": True,
        "forensic_triage": False,
        "victim_identification": True,
        "cross_border": False,  # a draft is not sent
        "charge_trial": False,
    }
    by_id = {i.step_id: i for i in items}
    assert by_id["preservation"].evidence == "request 1 preservation (sent)"
    assert by_id["forensic_triage"].command.startswith("puente scan")


@pytest.mark.parametrize(
    ("lang", "request_words", "custody_words", "marked"),
    [
        (
            "es",
            "solicitud 1 preservation (enviada)",
            "registro de custodia: case_created",
            "marcado",
        ),
        ("pt", "pedido 1 preservation (enviado)", "registro de custódia: case_created", "marcado"),
    ],
)
def test_checklist_evidence_speaks_the_language(
    lang: str, request_words: str, custody_words: str, marked: str
) -> None:
    items = checklist(
        load_procedure(),
        ["case_created"],
        [(1, RequestType.PRESERVATION, "sent")],
        ["victim_identification"],
        lang,
    )
    by_id = {i.step_id: i for i in items}
    assert by_id["preservation"].evidence == request_words
    assert by_id["receipt"].evidence == custody_words
    assert by_id["victim_identification"].evidence.startswith(marked)


def test_subscriber_identification_needs_the_answer_not_the_request() -> None:
    def done(status: str) -> dict[str, bool]:
        items = checklist(
            load_procedure(), [], [(1, RequestType.MLA_STORED_DATA, status)], [], "en"
        )
        return {i.step_id: i.done for i in items}

    sent = done("sent")
    assert not sent["subscriber_identification"] and sent["cross_border"]
    assert done("executed")["subscriber_identification"]


def test_done_statuses_are_checked() -> None:
    text = PACK.read_text(encoding="utf-8").replace("statuses: [executed]", "statuses: [lost]")
    with pytest.raises(FormatError, match="statuses"):
        parse_procedure(yaml.safe_load(text), "procedure.yaml")
