"""Regional matrix: countries × criteria statuses, for the HTML page and the heatmap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from puente.legal.schema import Catalog, Criterion


@dataclass(frozen=True)
class Matrix:
    countries: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    cells: tuple[tuple[str, ...], ...]  # cells[i][j]: status of countries[i] for criteria[j]
    as_of: date  # the most recent pack review date

    def status(self, country: str, criterion_id: str) -> str:
        i = self.countries.index(country)
        j = [c.id for c in self.criteria].index(criterion_id)
        return self.cells[i][j]

    def counts(self, country: str) -> dict[str, int]:
        row = self.cells[self.countries.index(country)]
        return {s: row.count(s) for s in ("met", "partial", "not_met", "unknown")}


def matrix(catalog: Catalog, countries: tuple[str, ...] | None = None) -> Matrix:
    codes = tuple(c.upper() for c in countries) if countries else catalog.countries
    packs = [catalog.country(c) for c in codes]
    cells = tuple(
        tuple(catalog.finding(p.code, cr.id).status for cr in catalog.criteria) for p in packs
    )
    as_of = max((p.as_of for p in packs), default=date.today())
    return Matrix(codes, catalog.criteria, cells, as_of)
