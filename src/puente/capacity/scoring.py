"""Scores: mean maturity level per domain and overall, per institution, country and region.

A domain score is the mean level (1-4) of its items; the overall score is the mean of the
domain scores, so that a domain with many items (investigation) does not outweigh one with
few (media). A country's score per domain is the mean over its institutions' latest
assessments. Scores are rounded to two decimals only for display, never here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from puente.capacity.model import NEEDS, PRIORITIES, Assessment, ItemSet

PRIORITY_WEIGHT = {"high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class Score:
    """Scores of one assessment (or one country): domain id -> mean level, and overall."""

    domains: Mapping[str, float]
    overall: float


@dataclass(frozen=True)
class InstitutionScore:
    country: str
    institution: str
    assessed_on: date
    score: Score
    fictitious: bool


@dataclass(frozen=True)
class CountryProfile:
    country: str
    institutions: tuple[InstitutionScore, ...]  # latest assessment per institution
    score: Score | None  # None when the country has no assessment
    needs: tuple[NeedCount, ...]  # needs stated by its institutions, most pressing first
    fictitious: bool


@dataclass(frozen=True)
class NeedCount:
    need: str
    items: int  # answers stating this need
    high: int  # ... of which with priority high
    weight: int  # sum of priority weights
    countries: int = 0  # countries stating it (regional view only)


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    country: str
    institution: str
    before: InstitutionScore
    after: InstitutionScore
    domains: Mapping[str, float]  # domain -> change in score
    overall: float
    items: tuple[ItemChange, ...]  # every item whose level changed


@dataclass(frozen=True)
class RegionalView:
    countries: tuple[CountryProfile, ...]
    domain_means: Mapping[str, float]  # over assessed countries
    overall: float | None
    needs: tuple[NeedCount, ...]
    weakest_items: tuple[tuple[str, float], ...]  # (item id, regional mean level), lowest first
    fictitious: bool


def score(assessment: Assessment, items: ItemSet) -> Score:
    levels = {a.item_id: a.level for a in assessment.answers}
    domains: dict[str, float] = {}
    for dom in items.domains:
        vals = [levels[i.id] for i in items.items_of(dom.id) if i.id in levels]
        if vals:
            domains[dom.id] = fmean(vals)
    overall = fmean(domains.values()) if domains else 0.0
    return Score(domains, overall)


def institution_score(assessment: Assessment, items: ItemSet) -> InstitutionScore:
    return InstitutionScore(
        assessment.country,
        assessment.institution,
        assessment.assessed_on,
        score(assessment, items),
        assessment.fictitious,
    )


def latest(assessments: Iterable[Assessment]) -> dict[tuple[str, str], Assessment]:
    """The newest assessment per (country, institution)."""
    out: dict[tuple[str, str], Assessment] = {}
    for a in assessments:
        key = (a.country, a.institution)
        if key not in out or a.assessed_on > out[key].assessed_on:
            out[key] = a
    return out


def count_needs(assessments: Iterable[Assessment]) -> tuple[NeedCount, ...]:
    items: Counter[str] = Counter()
    high: Counter[str] = Counter()
    weight: Counter[str] = Counter()
    countries: dict[str, set[str]] = {n: set() for n in NEEDS}
    for a in assessments:
        for ans in a.answers:
            for need in ans.needs:
                items[need] += 1
                high[need] += ans.priority == "high"
                weight[need] += PRIORITY_WEIGHT.get(ans.priority or "low", 1)
                countries[need].add(a.country)
    counts = [
        NeedCount(n, items[n], high[n], weight[n], len(countries[n])) for n in NEEDS if items[n]
    ]
    return tuple(sorted(counts, key=lambda c: (-c.weight, -c.items, NEEDS.index(c.need))))


def country_profile(
    country: str, assessments: Sequence[Assessment], items: ItemSet
) -> CountryProfile:
    mine = [a for a in assessments if a.country == country]
    newest = sorted(latest(mine).values(), key=lambda a: a.institution)
    inst = tuple(institution_score(a, items) for a in newest)
    if not inst:
        return CountryProfile(country, (), None, (), False)
    domains: dict[str, float] = {}
    for dom in items.domains:
        vals = [s.score.domains[dom.id] for s in inst if dom.id in s.score.domains]
        if vals:
            domains[dom.id] = fmean(vals)
    overall = fmean(domains.values()) if domains else 0.0
    return CountryProfile(
        country,
        inst,
        Score(domains, overall),
        count_needs(newest),
        any(a.fictitious for a in newest),
    )


def regional_view(
    assessments: Sequence[Assessment], items: ItemSet, countries: Sequence[str]
) -> RegionalView:
    profiles = tuple(country_profile(c, assessments, items) for c in countries)
    scored = [p for p in profiles if p.score is not None]
    domain_means: dict[str, float] = {}
    for dom in items.domains:
        vals = [p.score.domains[dom.id] for p in scored if p.score and dom.id in p.score.domains]
        if vals:
            domain_means[dom.id] = fmean(vals)
    newest = list(latest(assessments).values())
    per_item: dict[str, list[int]] = {}
    for a in newest:
        for ans in a.answers:
            per_item.setdefault(ans.item_id, []).append(ans.level)
    weakest = sorted(
        ((item_id, fmean(levels)) for item_id, levels in per_item.items()),
        key=lambda t: (t[1], items.item_ids.index(t[0]) if t[0] in items.item_ids else 0),
    )
    return RegionalView(
        profiles,
        domain_means,
        fmean(domain_means.values()) if domain_means else None,
        count_needs(newest),
        tuple(weakest),
        any(a.fictitious for a in newest),
    )


def compare(before: Assessment, after: Assessment, items: ItemSet) -> Comparison:
    """What changed between two assessments of one institution (older first)."""
    if (before.country, before.institution) != (after.country, after.institution):
        raise ValueError("compare needs two assessments of the same institution")
    if before.assessed_on > after.assessed_on:
        before, after = after, before
    sb, sa = institution_score(before, items), institution_score(after, items)
    domains = {
        d: sa.score.domains[d] - sb.score.domains[d]
        for d in sa.score.domains
        if d in sb.score.domains
    }
    changes = []
    for item_id in items.item_ids:
        ab, aa = before.answer(item_id), after.answer(item_id)
        if ab and aa and ab.level != aa.level:
            changes.append(ItemChange(item_id, ab.level, aa.level))
    return Comparison(
        after.country,
        after.institution,
        sb,
        sa,
        domains,
        sa.score.overall - sb.score.overall,
        tuple(changes),
    )


def priority_rank(priority: str | None) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)
