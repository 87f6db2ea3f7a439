"""Capacity use cases: import questionnaires, profiles, comparisons, examples.

The only place where the capacity core meets the store. An import is validated completely
(questionnaire.read_questionnaire) before the store is touched, so a bad questionnaire stores
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import Engine

from puente.capacity import examples as ex
from puente.capacity import questionnaire as q
from puente.capacity.model import Assessment, ItemSet, check_country, load_items
from puente.capacity.scoring import (
    Comparison,
    CountryProfile,
    RegionalView,
    compare,
    country_profile,
    regional_view,
)
from puente.errors import Conflict, InputError, NotFound, UnknownFormat
from puente.legal.catalog import load_catalog
from puente.network import COUNTRIES
from puente.report import conclusions
from puente.report.conclusions import Conclusions
from puente.store.capacity import CapacityStore, StoredAssessment


def write_template(path: Path, lang: str) -> Path:
    return q.write_template(path, lang)


def import_questionnaire(
    engine: Engine, path: Path, *, operator: str, lang: str | None = None, replace: bool = False
) -> StoredAssessment:
    assessment = q.read_questionnaire(path, lang=lang)  # raises before anything is stored
    return CapacityStore(engine).add(assessment, operator=operator, replace=replace)


@dataclass(frozen=True)
class CountryView:
    country: str
    profile: CountryProfile
    assessments: tuple[StoredAssessment, ...]  # every stored assessment, oldest first


def show_country(engine: Engine, country: str, items: ItemSet | None = None) -> CountryView:
    code = check_country(country)
    items = items or load_items()
    stored = CapacityStore(engine).stored(code)
    profile = country_profile(code, [s.assessment for s in stored], items)
    return CountryView(code, profile, tuple(stored))


def compare_institution(
    engine: Engine,
    country: str,
    institution: str,
    items: ItemSet | None = None,
    *,
    before: date | None = None,
    after: date | None = None,
) -> Comparison:
    """Two assessments of one institution compared: the two newest unless dates are given."""
    code = check_country(country)
    if institution not in ("police", "prosecution"):
        raise InputError(f"unknown institution {institution!r}: use police or prosecution")
    stored = [s.assessment for s in CapacityStore(engine).stored(code, institution)]
    if len(stored) < 2:
        raise NotFound(
            f"{institution} {code}: {len(stored)} assessment(s) stored; compare needs two"
        )
    by_date = {a.assessed_on: a for a in stored}
    dates = ", ".join(d.isoformat() for d in sorted(by_date))
    for wanted in (before, after):
        if wanted is not None and wanted not in by_date:
            raise NotFound(
                f"{institution} {code}: no assessment dated {wanted.isoformat()} (stored: {dates})"
            )
    old = by_date[before] if before is not None else None
    new = by_date[after] if after is not None else None
    if new is None:
        new = [a for a in stored if a is not old][-1]
    if old is None:
        earlier = [a for a in stored if a.assessed_on < new.assessed_on]
        old = earlier[-1] if earlier else None
    if old is None or old is new:
        raise InputError(f"{institution} {code}: compare needs two different dates ({dates})")
    return compare(old, new, items or load_items())


def regional(engine: Engine, items: ItemSet | None = None) -> RegionalView:
    """Scores of every network country (unassessed ones included, without a score)."""
    items = items or load_items()
    return regional_view(CapacityStore(engine).assessments(), items, COUNTRIES)


def all_assessments(engine: Engine) -> list[Assessment]:
    return CapacityStore(engine).assessments()


def write_examples(directory: Path, fmt: str = "xlsx") -> list[Path]:
    """Write the FICTITIOUS EXAMPLE questionnaires, one file per assessment."""
    if fmt not in ("xlsx", "yaml"):
        raise InputError(f"unknown examples format {fmt!r}: use xlsx or yaml")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in ex.example_assessments():
        name = f"FICTITIOUS-{a.country}-{a.institution}-{a.assessed_on.isoformat()}.{fmt}"
        path = directory / name
        if fmt == "xlsx":
            q.write_template(path, a.lang, filled=a)
        else:
            text = f"# {ex.FICTITIOUS}\n" + yaml.safe_dump(
                q.to_mapping(a), allow_unicode=True, sort_keys=False
            )
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def load_examples(engine: Engine, *, operator: str) -> list[StoredAssessment]:
    """Store the FICTITIOUS EXAMPLE assessments, replacing earlier copies of them."""
    store = CapacityStore(engine)
    real = {s.assessment.key for s in store.stored() if not s.assessment.fictitious}
    examples = ex.example_assessments()
    clash = sorted(
        f"{a.institution} {a.country} {a.assessed_on}" for a in examples if a.key in real
    )
    if clash:
        # Never overwrite a real institution's answers with example data.
        raise Conflict(f"real assessments stored for the example dates: {', '.join(clash)}")
    return [store.add(a, operator=operator, replace=True) for a in examples]


def remove_examples(engine: Engine) -> int:
    return CapacityStore(engine).delete_fictitious()


def stored_countries(engine: Engine) -> Sequence[str]:
    return sorted({s.assessment.country for s in CapacityStore(engine).stored()})


def build_conclusions(
    engine: Engine,
    lang: str,
    *,
    issued: date,
    edition: int = 1,
    charts_enabled: bool = True,
) -> Conclusions:
    """The regional conclusions from the knowledge base and the stored assessments."""
    catalog = load_catalog()
    steps, as_of = conclusions.procedure_steps(catalog, lang)
    return conclusions.build(
        catalog,
        CapacityStore(engine).assessments(),
        lang,
        issued=issued,
        edition=edition,
        procedure=steps,
        procedure_as_of=as_of,
        charts_enabled=charts_enabled,
    )


def write_conclusions(
    engine: Engine,
    lang: str,
    fmt: str,
    output: Path,
    *,
    issued: date,
    edition: int = 1,
) -> tuple[Path, Conclusions]:
    if fmt not in conclusions.FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}: use one of {', '.join(conclusions.FORMATS)}")
    doc = build_conclusions(engine, lang, issued=issued, edition=edition)
    return conclusions.write(doc, fmt, output), doc
