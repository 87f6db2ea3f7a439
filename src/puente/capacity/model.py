"""The capacity and needs assessment: items, maturity levels, answers and assessments.

An *item* is one capability (the 21 of the WeProtect Model National Response, plus the
network's online-CSAM investigation capacities), assessed on a four-level maturity scale with
a descriptor per level in es/pt/en. An *assessment* is one institution's (police or
prosecution) answers for one country on one date: per item the level, the evidence for it,
the needs stated and their priority. Items are data (items.yaml) with a template version;
questionnaires record that version and an import from another version is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from puente.errors import FormatError, Problem, UnknownCountry, ValidationError
from puente.network import COUNTRIES

LANGS = ("es", "pt", "en")
LEVELS = (1, 2, 3, 4)
INSTITUTIONS = ("police", "prosecution")
NEEDS = ("training", "equipment", "legal_reform", "staff", "cooperation")
PRIORITIES = ("high", "medium", "low")
ITEMS_FILE = Path(__file__).with_name("items.yaml")

# Names of the network's countries. The legal catalog carries the authoritative names; the
# capacity core keeps its own short table so that it does not depend on the legal packs.
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "AR": {"es": "Argentina", "pt": "Argentina", "en": "Argentina"},
    "BO": {"es": "Bolivia", "pt": "Bolívia", "en": "Bolivia"},
    "BR": {"es": "Brasil", "pt": "Brasil", "en": "Brazil"},
    "CL": {"es": "Chile", "pt": "Chile", "en": "Chile"},
    "CR": {"es": "Costa Rica", "pt": "Costa Rica", "en": "Costa Rica"},
    "EC": {"es": "Ecuador", "pt": "Equador", "en": "Ecuador"},
    "SV": {"es": "El Salvador", "pt": "El Salvador", "en": "El Salvador"},
    "GT": {"es": "Guatemala", "pt": "Guatemala", "en": "Guatemala"},
    "HN": {"es": "Honduras", "pt": "Honduras", "en": "Honduras"},
    "MX": {"es": "México", "pt": "México", "en": "Mexico"},
    "PY": {"es": "Paraguay", "pt": "Paraguai", "en": "Paraguay"},
    "UY": {"es": "Uruguay", "pt": "Uruguai", "en": "Uruguay"},
    "ES": {"es": "España", "pt": "Espanha", "en": "Spain"},
}


def check_country(code: str) -> str:
    """The upper-case code of a network country, or UnknownCountry."""
    norm = code.strip().upper()
    if norm not in COUNTRIES:
        raise UnknownCountry(
            f"unknown country {code!r}: use one of {', '.join(COUNTRIES)} (ISO 3166-1 alpha-2)"
        )
    return norm


def country_name(code: str, lang: str) -> str:
    return COUNTRY_NAMES[check_country(code)][lang]


Texts = Mapping[str, str]  # lang -> text


@dataclass(frozen=True)
class Domain:
    id: str
    name: Texts


@dataclass(frozen=True)
class Item:
    id: str
    domain: str
    title: Texts
    levels: tuple[Texts, Texts, Texts, Texts]  # descriptor of level 1..4
    source: str  # key into ItemSet.sources

    def descriptor(self, level: int, lang: str) -> str:
        return self.levels[level - 1][lang]


@dataclass(frozen=True)
class ItemSet:
    """The questionnaire's content at one template version."""

    template_version: str
    domains: tuple[Domain, ...]
    items: tuple[Item, ...]
    level_names: Mapping[int, Texts]
    sources: Mapping[str, str]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def domain(self, domain_id: str) -> Domain:
        for dom in self.domains:
            if dom.id == domain_id:
                return dom
        raise KeyError(domain_id)

    def items_of(self, domain_id: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.domain == domain_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


def _texts(raw: Any, where: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "expected a mapping es/pt/en -> text"))
        return {lang: "" for lang in LANGS}
    out = {lang: str(raw.get(lang, "") or "").strip() for lang in LANGS}
    for lang in LANGS:
        if not out[lang]:
            problems.append(Problem(f"{where}.{lang}", "missing text"))
    return out


def parse_items(data: Any, source: str = "items.yaml") -> ItemSet:
    """Build an ItemSet from the parsed YAML; every problem is reported, not only the first."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise FormatError(source, "expected a mapping at the top level")
    version = str(data.get("template_version", "") or "")
    if not version:
        problems.append(Problem("template_version", "missing"))
    sources = {str(k): str(v) for k, v in (data.get("sources") or {}).items()}
    level_names = {
        lvl: _texts((data.get("levels") or {}).get(lvl), f"levels.{lvl}", problems)
        for lvl in LEVELS
    }
    domains = tuple(
        Domain(str(d.get("id")), _texts(d.get("name"), f"domains[{n}].name", problems))
        for n, d in enumerate(data.get("domains") or [])
    )
    domain_ids = {d.id for d in domains}
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(data.get("items") or []):
        where = f"items[{n}]"
        item_id = str(raw.get("id", ""))
        if not item_id or item_id in seen:
            problems.append(Problem(f"{where}.id", f"missing or duplicate id {item_id!r}"))
        seen.add(item_id)
        if raw.get("domain") not in domain_ids:
            problems.append(Problem(f"{where}.domain", f"unknown domain {raw.get('domain')!r}"))
        if raw.get("source") not in sources:
            problems.append(Problem(f"{where}.source", f"unknown source {raw.get('source')!r}"))
        levels_raw = raw.get("levels") or {}
        levels = tuple(
            _texts(levels_raw.get(lvl), f"{where}.levels.{lvl}", problems) for lvl in LEVELS
        )
        items.append(
            Item(
                id=item_id,
                domain=str(raw.get("domain")),
                title=_texts(raw.get("title"), f"{where}.title", problems),
                levels=(levels[0], levels[1], levels[2], levels[3]),
                source=str(raw.get("source")),
            )
        )
    if problems:
        raise ValidationError(source, problems)
    return ItemSet(version, domains, tuple(items), level_names, sources)


@cache
def load_items(path: Path | None = None) -> ItemSet:
    """The bundled items (default) or another items file."""
    path = path or ITEMS_FILE
    return parse_items(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


@dataclass(frozen=True)
class Answer:
    item_id: str
    level: int  # 1..4
    evidence: str = ""
    needs: tuple[str, ...] = ()  # subset of NEEDS, in the order given
    priority: str | None = None  # one of PRIORITIES; required when a need is stated


@dataclass(frozen=True)
class Assessment:
    """One institution's assessment for one country on one date."""

    country: str
    institution: str  # police | prosecution
    assessed_on: date
    template_version: str
    lang: str  # language the questionnaire was answered in
    answers: tuple[Answer, ...]
    institution_name: str = ""
    respondent: str = ""
    fictitious: bool = False  # FICTITIOUS EXAMPLE DATA, never a real institution's answers
    source: str = ""  # file it came from
    extra: Mapping[str, str] = field(default_factory=dict)

    def answer(self, item_id: str) -> Answer | None:
        for ans in self.answers:
            if ans.item_id == item_id:
                return ans
        return None

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.country, self.institution, self.assessed_on)


def validate(assessment: Assessment, items: ItemSet, where: str = "assessment") -> None:
    """Check an assessment against the item set; ValidationError lists every problem."""
    problems: list[Problem] = []
    if assessment.country not in COUNTRIES:
        problems.append(
            Problem(
                f"{where}.country",
                f"unknown country {assessment.country!r}",
                f"use one of {', '.join(COUNTRIES)}",
            )
        )
    if assessment.institution not in INSTITUTIONS:
        problems.append(
            Problem(
                f"{where}.institution",
                f"unknown institution {assessment.institution!r}",
                "use police or prosecution",
            )
        )
    if assessment.template_version != items.template_version:
        problems.append(
            Problem(
                f"{where}.template_version",
                f"questionnaire version {assessment.template_version!r} is not the current "
                f"template version {items.template_version!r}",
                "fill in a template from 'puente capacity template'",
            )
        )
    if assessment.lang not in LANGS:
        problems.append(Problem(f"{where}.lang", f"unknown language {assessment.lang!r}"))
    given = {a.item_id for a in assessment.answers}
    for item_id in items.item_ids:
        if item_id not in given:
            problems.append(Problem(f"{where}.answers.{item_id}", "missing answer"))
    for ans in assessment.answers:
        at = f"{where}.answers.{ans.item_id}"
        if ans.item_id not in items.item_ids:
            problems.append(Problem(at, "unknown item"))
        if ans.level not in LEVELS:
            problems.append(Problem(f"{at}.level", f"level {ans.level!r} out of range 1-4"))
        for need in ans.needs:
            if need not in NEEDS:
                problems.append(Problem(f"{at}.needs", f"unknown need {need!r}"))
        if ans.priority is not None and ans.priority not in PRIORITIES:
            problems.append(Problem(f"{at}.priority", f"unknown priority {ans.priority!r}"))
        if ans.needs and ans.priority is None:
            problems.append(Problem(f"{at}.priority", "a need is stated without a priority"))
    if problems:
        raise ValidationError(where, problems)


def sort_assessments(assessments: Sequence[Assessment]) -> list[Assessment]:
    return sorted(assessments, key=lambda a: (a.country, a.institution, a.assessed_on))
