"""Legal basis between two countries for one conduct.

Answers what a prosecutor checks before asking another country for help: is the
conduct a crime in both (dual criminality, with citations)? Which instruments are
both party to? Which channel fits (24/7 network, central authority, Iber@)? What is
unknown? Nothing is inferred beyond the findings: unknown stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.errors import InputError
from puente.legal.schema import Catalog, Finding, Instrument

# Conduct names (as a prosecutor says them) -> offence criterion.
CONDUCTS: dict[str, str] = {
    "production": "off.production",
    "producing": "off.production",
    "offering": "off.offering",
    "making_available": "off.offering",
    "distribution": "off.distribution",
    "transmission": "off.distribution",
    "procuring": "off.procuring",
    "possession": "off.possession",
    "simple_possession": "off.possession",
    "access": "off.access",
    "viewing": "off.access",
    "streaming": "off.access",
    "grooming": "off.grooming",
    "grooming_without_meeting": "off.grooming_without_meeting",
    "live_streaming": "off.live_streaming",
    "sextortion": "off.sextortion",
}

Answer = str  # "yes" | "no" | "partial" | "unknown"


@dataclass(frozen=True)
class CommonInstrument:
    instrument: Instrument
    answer: Answer  # yes: both parties; partial: one or both only signed; unknown; no
    from_finding: Finding
    to_finding: Finding


@dataclass(frozen=True)
class Channel:
    id: str  # "24_7" | "central_authority" | "ibera"
    answer: Answer
    reason: str
    basis: tuple[str, ...]  # provision refs


@dataclass(frozen=True)
class LegalBasis:
    from_: str
    to: str
    conduct: str
    criterion_id: str
    from_finding: Finding
    to_finding: Finding
    criminalised_both: Answer
    instruments: tuple[CommonInstrument, ...]
    channels: tuple[Channel, ...]
    unknowns: tuple[Finding, ...]

    @property
    def common_instruments(self) -> tuple[Instrument, ...]:
        return tuple(ci.instrument for ci in self.instruments if ci.answer == "yes")


def conduct_criterion(conduct: str) -> str:
    key = conduct.strip().lower().replace("-", "_").replace(" ", "_")
    if key in CONDUCTS:
        return CONDUCTS[key]
    if key.startswith("off.") and key in CONDUCTS.values():
        return key
    raise InputError(f"unknown conduct {conduct!r}: use one of {', '.join(sorted(CONDUCTS))}")


def _both(a: str, b: str) -> Answer:
    """Combine two statuses: both met -> yes; either not met -> no; else partial/unknown."""
    if "not_met" in (a, b):
        return "no"
    if a == b == "met":
        return "yes"
    if "unknown" in (a, b):
        return "unknown"
    return "partial"


def legal_basis(catalog: Catalog, from_: str, to: str, conduct: str) -> LegalBasis:
    src, dst = catalog.country(from_).code, catalog.country(to).code
    if src == dst:
        raise InputError(f"--from and --to are the same country ({src})")
    cid = conduct_criterion(conduct)
    f_src, f_dst = catalog.finding(src, cid), catalog.finding(dst, cid)
    relevant: list[Finding] = [f_src, f_dst]

    instruments: list[CommonInstrument] = []
    for crit in catalog.criteria:
        if not crit.instrument:
            continue
        a, b = catalog.finding(src, crit.id), catalog.finding(dst, crit.id)
        relevant += [a, b]
        instruments.append(
            CommonInstrument(catalog.instrument(crit.instrument), _both(a.status, b.status), a, b)
        )

    def party(inst: str) -> Answer:
        return next((ci.answer for ci in instruments if ci.instrument.id == inst), "unknown")

    channels: list[Channel] = []
    # 24/7 network: Budapest Art. 35 obliges every Party to keep a contact point.
    cp = _both(*(catalog.finding(c, "coop.contact_point_24_7").status for c in (src, dst)))
    relevant += [catalog.finding(c, "coop.contact_point_24_7") for c in (src, dst)]
    bud = party("budapest")
    if bud == "yes":
        channels.append(
            Channel(
                "24_7",
                "yes",
                "both are Parties to the Budapest Convention (Art. 35 contact points; "
                "preservation under Art. 29 may not require dual criminality)",
                ("budapest:35", "budapest:29"),
            )
        )
    else:
        reason = {
            "yes": "both have a 24/7 contact point recorded",
            "no": "a 24/7 contact point is recorded as missing for one of them",
            "partial": "the 24/7 contact point is only partly in place",
            "unknown": "whether both have a 24/7 contact point is unknown",
        }[cp]
        channels.append(Channel("24_7", cp, reason, ("budapest:35",)))
    # Central authority: MLA under Nassau or Budapest between central authorities.
    ca = _both(*(catalog.finding(c, "coop.central_authority").status for c in (src, dst)))
    relevant += [catalog.finding(c, "coop.central_authority") for c in (src, dst)]
    treaties = [
        name
        for name, inst in (("Nassau Convention", "nassau"), ("Budapest Convention", "budapest"))
        if party(inst) == "yes"
    ]
    if treaties:
        channels.append(
            Channel(
                "central_authority",
                ca,
                "mutual legal assistance between central authorities under "
                + " and ".join(treaties)
                + ("" if ca == "yes" else f" (central authority recorded: {ca})"),
                ("nassau:37",) if "Nassau Convention" in treaties else ("budapest:27",),
            )
        )
    else:
        channels.append(
            Channel(
                "central_authority",
                "unknown",
                "no common MLA treaty recorded in the catalogue; check bilateral treaties "
                "or reciprocity",
                ("budapest:27",),
            )
        )
    # Iber@: only between Parties to the Medellín Treaty.
    med = party("medellin")
    channels.append(
        Channel(
            "ibera",
            med,
            {
                "yes": "both are Parties to the Medellín Treaty: Iber@ is the formal channel",
                "no": "one of them is not a Party to the Medellín Treaty",
                "partial": "the Medellín Treaty is signed but not ratified by one or both",
                "unknown": "Medellín Treaty status unknown for one or both",
            }[med],
            ("medellin:iber@",),
        )
    )
    seen: set[tuple[str, str]] = set()
    unknowns: list[Finding] = []
    for f in relevant:
        if f.status == "unknown" and (f.country, f.criterion_id) not in seen:
            seen.add((f.country, f.criterion_id))
            unknowns.append(f)
    return LegalBasis(
        src,
        dst,
        conduct,
        cid,
        f_src,
        f_dst,
        _both(f_src.status, f_dst.status),
        tuple(instruments),
        tuple(channels),
        tuple(unknowns),
    )
