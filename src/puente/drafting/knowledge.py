"""From the legal knowledge base to the plain LegalContext the drafting core works on.

The knowledge base is reached through a small Protocol (anything with ``finding`` and
``country_name``, as ``puente.legal.catalog.Catalog`` has), so the core and its tests do
not depend on how the catalog is built.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from puente.drafting.channels import for_country
from puente.drafting.model import ChannelEntry, LegalContext, LegalFact
from puente.errors import NotFound, UnknownCountry

PARTY_CRITERIA = (
    "coop.party_budapest",
    "coop.party_budapest_protocol2",
    "coop.party_medellin",
    "coop.party_nassau",
)


class KnowledgeBase(Protocol):
    def finding(self, country: str, criterion_id: str) -> Any: ...

    def country_name(self, code: str, lang: str) -> str: ...


def to_fact(finding: Any, country: str, criterion_id: str) -> LegalFact:
    """A Finding (or any object with its fields) as a LegalFact; missing fields are unknown."""
    status = str(getattr(finding, "status", "unknown") or "unknown")
    as_of = getattr(finding, "as_of", None)
    confidence = getattr(finding, "confidence", None)
    return LegalFact(
        country=country,
        criterion_id=criterion_id,
        status=status,
        citation=str(getattr(finding, "citation", "") or ""),
        source=str(getattr(finding, "source", "") or ""),
        as_of=as_of if isinstance(as_of, date) else None,
        confidence=str(confidence) if confidence else None,
    )


def _lookup(kb: KnowledgeBase, country: str, criterion_id: str) -> LegalFact:
    try:
        finding = kb.finding(country, criterion_id)
    except (LookupError, NotFound, UnknownCountry):
        # No pack or no finding loaded: unknown, never a guess.
        finding = None
    return to_fact(finding, country, criterion_id)


def _name(kb: KnowledgeBase, code: str, lang: str) -> str:
    try:
        return kb.country_name(code, lang)
    except (LookupError, NotFound, UnknownCountry):
        return code


def _criterion_title(kb: KnowledgeBase, criterion_id: str, lang: str) -> str:
    # Optional in the protocol: a knowledge base without titles leaves the id alone.
    lookup = getattr(kb, "criterion", None)
    if lookup is None or not criterion_id:
        return ""
    try:
        return str(lookup(criterion_id).title.get(lang) or "")
    except (LookupError, NotFound, AttributeError):
        return ""


def legal_context(
    kb: KnowledgeBase,
    frm: str,
    to: str,
    conduct: str,
    channels: tuple[ChannelEntry, ...],
    lang: str,
) -> LegalContext:
    parties = tuple(
        _lookup(kb, country, criterion) for criterion in PARTY_CRITERIA for country in (frm, to)
    )
    conduct_frm = _lookup(kb, frm, conduct) if conduct else None
    conduct_to = _lookup(kb, to, conduct) if conduct else None
    return LegalContext(
        requesting_country=frm,
        requested_country=to,
        conduct_requesting=conduct_frm,
        conduct_requested=conduct_to,
        parties=parties,
        channels=for_country(channels, to),
        country_names=tuple((c, _name(kb, c, lang)) for c in (frm, to)),
        conduct_title=_criterion_title(kb, conduct, lang),
    )
