"""Gap analysis: what one country's law lacks against the baseline criteria.

A *gap* is a criterion whose status is ``not_met`` or ``partial``; it carries the
baseline provisions it falls short of, the evidence (the country's citation) and the
proposed measures. ``unknown`` is not a gap: it is listed as research to do, because
a guess would be a defect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from puente.legal.schema import AREAS, Catalog, Criterion, Finding, Measure


@dataclass(frozen=True)
class BaselineRef:
    ref: str
    citation: str  # e.g. "Budapest Convention, Art. 9(1)(e)"
    title: str


@dataclass(frozen=True)
class Gap:
    criterion: Criterion
    finding: Finding
    baseline: tuple[BaselineRef, ...]
    measures: tuple[Measure, ...]

    @property
    def status(self) -> str:
        return self.finding.status


@dataclass(frozen=True)
class AreaGaps:
    area: str
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class Research:
    criterion: Criterion
    note: str | None


@dataclass(frozen=True)
class CountryGaps:
    country: str
    as_of: date  # the pack's review date
    areas: tuple[AreaGaps, ...]  # only areas with at least one gap, in AREAS order
    research: tuple[Research, ...]
    counts: dict[str, int]  # status -> number of criteria

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(g for a in self.areas for g in a.gaps)


def baseline_refs(catalog: Catalog, criterion: Criterion) -> tuple[BaselineRef, ...]:
    return tuple(
        BaselineRef(ref, catalog.cite(ref), catalog.provision(ref).title)
        for ref in criterion.baseline
    )


def analyse(catalog: Catalog, country: str) -> CountryGaps:
    """Gaps of one country, grouped by area; unknowns as research to do."""
    pack = catalog.country(country)
    by_area: dict[str, list[Gap]] = {a: [] for a in AREAS}
    research: list[Research] = []
    counts = {"met": 0, "partial": 0, "not_met": 0, "unknown": 0}
    for criterion in catalog.criteria:
        finding = catalog.finding(pack.code, criterion.id)
        counts[finding.status] += 1
        if finding.status in ("not_met", "partial"):
            by_area[criterion.area].append(
                Gap(
                    criterion,
                    finding,
                    baseline_refs(catalog, criterion),
                    catalog.measures_for(criterion.id),
                )
            )
        elif finding.status == "unknown":
            research.append(Research(criterion, finding.note))
    areas = tuple(AreaGaps(a, tuple(gs)) for a, gs in by_area.items() if gs)
    return CountryGaps(pack.code, pack.as_of, areas, tuple(research), counts)


def analyse_all(catalog: Catalog) -> tuple[CountryGaps, ...]:
    return tuple(analyse(catalog, code) for code in catalog.countries)
