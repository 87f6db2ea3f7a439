"""Fixed facts and a small fixed legal context, independent of the bundled packs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from puente.drafting.facts import parse_facts
from puente.drafting.model import (
    CaseFacts,
    ChannelEntry,
    LegalContext,
    LegalFact,
    RequestFacts,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PACKS = Path(__file__).parent / "packs"
AS_OF = date(2026, 1, 15)


def facts_dict() -> dict[str, Any]:
    """Every field any type needs; tests remove one to check its validation."""
    return {
        "requesting_authority": {
            "name": "Unidad Fiscal Especializada de Prueba",
            "office": "Fiscalía N.º 1",
            "address": "Calle Falsa 123, Ciudad",
        },
        "contact": {
            "name": "Ana Pérez",
            "role": "fiscal",
            "email": "ana.perez@example.org",
            "phone": "+54 11 5555-0000",
        },
        "offence": {
            "conduct": "off.distribution",
            "description": "Distribución de material de abuso sexual infantil",
            "statute": "Código Penal, art. 128",
            "penalty": "3 a 6 años de prisión",
        },
        "summary": "Una cuenta compartió archivos identificados por hash en un foro.",
        "data": [
            {
                "kind": "ip",
                "value": "203.0.113.7",
                "timestamp": "2026-10-01T14:03:00-03:00",
                "provider": "Proveedor Ejemplo S.A.",
                "relation": "IP de conexión al subir los archivos",
            },
            {
                "kind": "account",
                "value": "usuario_ejemplo",
                "provider": "Proveedor Ejemplo S.A.",
                "relation": "cuenta que compartió los archivos",
            },
        ],
        "custodian": {"name": "Proveedor Ejemplo S.A.", "location": "Ciudad Ejemplo"},
        "necessity": "El proveedor borra los registros de conexión a los 30 días.",
        "mla_to_follow": True,
        "preservation_days": 90,
        "related_request": "PUENTE-REQ-1",
        "assistance_sought": "Registro y divulgación de los datos almacenados de la cuenta",
        "emergency_reason": "Riesgo inminente para una niña identificada en los chats",
        "urgency": "urgent",
    }


def parsed(raw: dict[str, Any] | None = None) -> RequestFacts:
    facts, problems = parse_facts(raw if raw is not None else facts_dict())
    assert problems == []
    return facts


CASE = CaseFacts(
    case_id=7, title="Operación Prueba", country="AR", agency="UFE", reference="AR-7/2026"
)


def fact(country: str, criterion: str, status: str, citation: str = "") -> LegalFact:
    return LegalFact(
        country=country,
        criterion_id=criterion,
        status=status,
        citation=citation
        or ("" if status == "unknown" else f"{country} test citation for {criterion}"),
        source="" if status == "unknown" else "tests/drafting/packs",
        as_of=None if status == "unknown" else AS_OF,
        confidence=None if status == "unknown" else "H",
    )


def legal_context(
    frm: str = "AR",
    to: str = "BR",
    *,
    parties: dict[str, tuple[str, str]] | None = None,
    conduct_to: str = "met",
    known_channels: bool = True,
) -> LegalContext:
    """Party statuses per criterion as (requesting, requested)."""
    parties = parties or {
        "coop.party_budapest": ("met", "met"),
        "coop.party_budapest_protocol2": ("met", "met"),
        "coop.party_medellin": ("met", "met"),
        "coop.party_nassau": ("met", "met"),
    }
    facts = []
    for criterion, (a, b) in parties.items():
        facts.append(fact(frm, criterion, a))
        facts.append(fact(to, criterion, b))
    channels = ()
    if known_channels:
        channels = (
            ChannelEntry(
                to,
                "contact_24_7",
                "Punto 24/7 de prueba",
                "",
                "Test designation",
                "tests",
                AS_OF,
                "M",
            ),
            ChannelEntry(
                to,
                "central_authority",
                "Autoridad Central de prueba",
                "",
                "Test law",
                "tests",
                AS_OF,
                "M",
            ),
        )
    return LegalContext(
        requesting_country=frm,
        requested_country=to,
        conduct_requesting=fact(frm, "off.distribution", "met"),
        conduct_requested=fact(to, "off.distribution", conduct_to),
        parties=tuple(facts),
        channels=channels,
        country_names=(("AR", "Argentina"), ("BR", "Brasil"), ("UY", "Uruguay"), ("MX", "México")),
    )


@pytest.fixture
def now() -> datetime:
    return NOW
