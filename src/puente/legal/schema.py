"""Typed values of the legal knowledge base (frozen dataclasses, no I/O).

A *criterion* is one baseline requirement (stable id such as ``off.possession``); a
*finding* is what one country's law says about one criterion, always with citation,
source, as-of date and confidence unless the status is ``unknown``. *Instruments*
(treaties, model laws) hold *provisions*, addressed by a ref ``<instrument>:<article>``
such as ``budapest:9(1)(e)``. *Measures* propose how to close a gap and cite the
provision they model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from puente.network import COUNTRIES as COUNTRY_CODES

Status = Literal["met", "partial", "not_met", "unknown"]
Confidence = Literal["H", "M", "L"]

STATUSES: tuple[str, ...] = ("met", "partial", "not_met", "unknown")
CONFIDENCES: tuple[str, ...] = ("H", "M", "L")
AREAS: tuple[str, ...] = ("definitions", "offences", "procedure", "cooperation", "organisation")
LANGS: tuple[str, ...] = ("es", "pt", "en")


@dataclass(frozen=True)
class Texts:
    """One text in the product's three languages."""

    es: str
    pt: str
    en: str

    def get(self, lang: str) -> str:
        return {"es": self.es, "pt": self.pt, "en": self.en}[lang]

    def __getitem__(self, lang: str) -> str:
        return self.get(lang)


@dataclass(frozen=True)
class Criterion:
    id: str
    area: str
    title: Texts
    baseline: tuple[str, ...]  # provision refs, e.g. ("budapest:9(1)(e)", "icmec:4")
    instrument: str | None = None  # for coop.party_*: the instrument id it is about


@dataclass(frozen=True)
class Finding:
    country: str
    criterion_id: str
    status: Status
    citation: str | None
    summary: str
    source: str | None
    as_of: date
    confidence: Confidence | None
    note: str | None = None
    # Our own summary translated (optional); the English ``summary`` is the reference.
    summary_es: str = ""
    summary_pt: str = ""

    @property
    def known(self) -> bool:
        return self.status != "unknown"

    def summary_in(self, lang: str) -> tuple[str, str]:
        """(text, language of the text): the summary in ``lang`` when translated,
        else the English one, so a document can mark it as English."""
        translated = {"es": self.summary_es, "pt": self.summary_pt}.get(lang, "")
        if translated:
            return translated, lang
        return self.summary, "en"


@dataclass(frozen=True)
class Provision:
    ref: str  # "<instrument>:<article>"
    instrument: str
    article: str
    title: str
    summary: str  # our own words
    source: str
    as_of: date
    confidence: Confidence
    options: tuple[str, ...] = ()  # reservation options / flexibility clauses
    label: str = ""  # display label where "Art. <article>" does not fit (ICMEC criteria)
    labels: Texts | None = None  # the label in es/pt/en, where the pack gives them

    def display_label(self, lang: str = "en") -> str:
        if self.labels is not None:
            return self.labels.get(lang)
        return self.label or f"Art. {self.article}"


@dataclass(frozen=True)
class Instrument:
    id: str
    short: str  # e.g. "Budapest Convention"
    name: Texts
    reference: str  # e.g. "ETS No. 185"
    source: str
    as_of: date
    confidence: Confidence
    summary: str = ""
    provisions: tuple[Provision, ...] = ()
    shorts: Texts | None = None  # the short name in es/pt/en, where the pack gives them

    def short_name(self, lang: str = "en") -> str:
        return self.shorts.get(lang) if self.shorts is not None else self.short


@dataclass(frozen=True)
class Measure:
    id: str
    criterion_id: str
    model: tuple[str, ...]  # provision refs the measure is modelled on
    text: Texts


@dataclass(frozen=True)
class CountryPack:
    code: str
    name: Texts
    languages: tuple[str, ...]
    as_of: date
    findings: tuple[Finding, ...]
    source_file: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Catalog:
    """The loaded, validated knowledge base. Build it with ``catalog.load_catalog``."""

    criteria: tuple[Criterion, ...]
    instruments: tuple[Instrument, ...]
    measures: tuple[Measure, ...]
    packs: tuple[CountryPack, ...]
    area_titles: dict[str, Texts] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------
    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.packs)

    def country(self, code: str) -> CountryPack:
        from puente.errors import UnknownCountry

        wanted = code.upper()
        for pack in self.packs:
            if pack.code == wanted:
                return pack
        if wanted in COUNTRY_CODES:
            raise UnknownCountry(f"no pack loaded for country {wanted}")
        raise UnknownCountry(
            f"unknown country code {code!r}: use one of {', '.join(COUNTRY_CODES)}"
        )

    def country_name(self, code: str, lang: str = "en") -> str:
        return self.country(code).name.get(lang)

    def criterion(self, criterion_id: str) -> Criterion:
        from puente.errors import NotFound

        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise NotFound(f"unknown criterion id {criterion_id!r}")

    def finding(self, country: str, criterion_id: str) -> Finding:
        from puente.errors import NotFound

        self.criterion(criterion_id)
        for f in self.country(country).findings:
            if f.criterion_id == criterion_id:
                return f
        raise NotFound(f"{country}: no finding for {criterion_id}")

    def findings(self, country: str) -> tuple[Finding, ...]:
        return self.country(country).findings

    def instrument(self, instrument_id: str) -> Instrument:
        from puente.errors import NotFound

        for inst in self.instruments:
            if inst.id == instrument_id:
                return inst
        raise NotFound(f"unknown instrument {instrument_id!r}")

    def provision(self, ref: str) -> Provision:
        from puente.errors import NotFound

        inst_id, _, _ = ref.partition(":")
        for inst in self.instruments:
            if inst.id == inst_id:
                for prov in inst.provisions:
                    if prov.ref == ref:
                        return prov
        raise NotFound(f"unknown provision {ref!r}")

    def cite(self, ref: str, lang: str = "en") -> str:
        """Human citation of a provision ref: 'Budapest Convention, Art. 9(1)(e)'
        (in ``lang``: 'Convenio de Budapest, Art. 9(1)(e)')."""
        prov = self.provision(ref)
        return f"{self.instrument(prov.instrument).short_name(lang)}, {prov.display_label(lang)}"

    def measures_for(self, criterion_id: str) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.criterion_id == criterion_id)

    def area_title(self, area: str, lang: str = "en") -> str:
        texts = self.area_titles.get(area)
        return texts.get(lang) if texts else area
