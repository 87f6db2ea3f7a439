"""Fictitious example facts and a fixed legal context: documentation, demo and tests.

Nothing here is a real case, person or legal fact; citations say they are examples.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from puente.drafting.facts import parse_facts
from puente.drafting.model import (
    CaseFacts,
    ChannelEntry,
    LegalContext,
    LegalFact,
    RequestFacts,
)

EXAMPLE_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 1, 15)


def example_facts_dict() -> dict[str, Any]:
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


def example_facts(raw: dict[str, Any] | None = None) -> RequestFacts:
    facts, problems = parse_facts(raw if raw is not None else example_facts_dict())
    if problems:
        raise ValueError(f"example facts do not parse: {problems}")
    return facts


EXAMPLE_CASE = CaseFacts(
    case_id=7, title="Operación Prueba", country="AR", agency="UFE", reference="AR-7/2026"
)


def example_fact(country: str, criterion: str, status: str, citation: str = "") -> LegalFact:
    return LegalFact(
        country=country,
        criterion_id=criterion,
        status=status,
        citation=citation
        or ("" if status == "unknown" else f"{country} example citation for {criterion}"),
        source="" if status == "unknown" else "example (not a real legal fact)",
        as_of=None if status == "unknown" else AS_OF,
        confidence=None if status == "unknown" else "H",
    )


def example_legal_context(
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
    facts: list[LegalFact] = []
    for criterion, (a, b) in parties.items():
        facts.append(example_fact(frm, criterion, a))
        facts.append(example_fact(to, criterion, b))
    channels: tuple[ChannelEntry, ...] = ()
    if known_channels:
        channels = (
            ChannelEntry(
                to,
                "contact_24_7",
                "Punto 24/7 de prueba",
                "",
                "Example designation",
                "example",
                AS_OF,
                "M",
            ),
            ChannelEntry(
                to,
                "central_authority",
                "Autoridad Central de prueba",
                "",
                "Example law",
                "example",
                AS_OF,
                "M",
            ),
        )
    return LegalContext(
        requesting_country=frm,
        requested_country=to,
        conduct_requesting=example_fact(frm, "off.distribution", "met"),
        conduct_requested=example_fact(to, "off.distribution", conduct_to),
        parties=tuple(facts),
        channels=channels,
        country_names=(("AR", "Argentina"), ("BR", "Brasil"), ("UY", "Uruguay"), ("MX", "México")),
    )
