"""FICTITIOUS EXAMPLE DATA: generated assessments for the 13 network countries.

These are not any institution's answers. They exist so that the questionnaire, the scores,
the charts and the regional conclusions can be built and tested before real assessments
arrive. Every generated assessment is flagged ``fictitious=True``, its institution name and
every evidence text say FICTITIOUS EXAMPLE DATA, and documents built from it carry a banner.
Generation is deterministic: a SHA-256 of (country, institution, item, round) picks each
level, so the same call always yields the same data.
"""

from __future__ import annotations

import hashlib
from datetime import date

from puente.capacity.model import (
    INSTITUTIONS,
    NEEDS,
    PRIORITIES,
    Answer,
    Assessment,
    ItemSet,
    load_items,
)
from puente.network import COUNTRIES

FICTITIOUS = "FICTITIOUS EXAMPLE DATA"
ROUNDS = (date(2025, 5, 15), date(2026, 5, 15))  # two rounds, so that compare has something

# Items whose natural owner is the other institution: the answering institution tends to rate
# them lower (it relies on the other), which makes the example profiles differ a little.
_POLICE_ITEMS = ("inv.digital_forensics", "inv.triage_hash", "inv.undercover_online", "mnr.04")
_PROSECUTION_ITEMS = ("inv.prosecutors_digital_evidence", "mnr.05")


def _roll(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def example_assessment(
    country: str, institution: str, round_index: int, items: ItemSet | None = None
) -> Assessment:
    items = items or load_items()
    base = 1 + _roll(country, "base") % 3  # a country's general level 1..3
    answers = []
    for item in items.items:
        r = _roll(country, institution, item.id)
        level = base + (r % 3) - 1  # base-1 .. base+1
        if institution == "police" and item.id in _PROSECUTION_ITEMS:
            level -= 1
        if institution == "prosecution" and item.id in _POLICE_ITEMS:
            level -= 1
        # The later round improves some items by one level.
        if round_index > 0 and _roll(country, institution, item.id, "improve") % 4 == 0:
            level += 1
        level = max(1, min(4, level))
        needs: tuple[str, ...] = ()
        priority = None
        if level <= 2:
            first = NEEDS[(r >> 8) % len(NEEDS)]
            second = NEEDS[(r >> 16) % len(NEEDS)]
            needs = (first,) if first == second or level == 2 else (first, second)
            priority = PRIORITIES[0] if level == 1 else PRIORITIES[1 + (r >> 24) % 2]
        answers.append(
            Answer(
                item_id=item.id,
                level=level,
                evidence=f"{FICTITIOUS}: generated level {level} for {item.id}.",
                needs=needs,
                priority=priority,
            )
        )
    return Assessment(
        country=country,
        institution=institution,
        assessed_on=ROUNDS[round_index],
        template_version=items.template_version,
        lang="pt" if country == "BR" else "es",
        answers=tuple(answers),
        institution_name=f"{FICTITIOUS} - {institution} {country}",
        respondent=FICTITIOUS,
        fictitious=True,
        source="puente.capacity.examples",
    )


def example_assessments(items: ItemSet | None = None) -> tuple[Assessment, ...]:
    """Two rounds x two institutions x 13 countries, all FICTITIOUS EXAMPLE DATA."""
    items = items or load_items()
    return tuple(
        example_assessment(c, inst, r, items)
        for c in COUNTRIES
        for inst in INSTITUTIONS
        for r in range(len(ROUNDS))
    )
