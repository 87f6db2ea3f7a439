from __future__ import annotations

from puente.gaps.analyse import analyse, analyse_all
from puente.gaps.matrix import matrix
from puente.legal.schema import AREAS, Catalog


def test_brazil_gaps_grouped_by_area_with_baseline_evidence_measure(test_catalog: Catalog) -> None:
    cg = analyse(test_catalog, "BR")
    assert [a.area for a in cg.areas] == ["offences", "cooperation"]
    grooming = cg.areas[0].gaps[0]
    assert grooming.criterion.id == "off.grooming" and grooming.status == "partial"
    assert "241-D" in (grooming.finding.citation or "")
    assert grooming.baseline[0].citation == "Lanzarote Convention, Art. 23"
    assert grooming.measures and grooming.measures[0].model == ("lanzarote:23",)
    assert cg.counts == {"met": 3, "partial": 2, "not_met": 0, "unknown": 29}


def test_unknowns_are_research_not_gaps(test_catalog: Catalog) -> None:
    cg = analyse(test_catalog, "MX")
    gap_ids = {g.criterion.id for g in cg.gaps}
    research_ids = {r.criterion.id for r in cg.research}
    assert gap_ids == {"coop.party_budapest"}
    assert "off.sextortion" in research_ids and not gap_ids & research_ids
    assert len(research_ids) == cg.counts["unknown"]
    assert all(g.finding.status in ("partial", "not_met") for g in cg.gaps)


def test_possession_gap_proposes_budapest_9_1_e(test_catalog: Catalog) -> None:
    measure = test_catalog.measures_for("off.possession")[0]
    assert "budapest:9(1)(e)" in measure.model
    assert test_catalog.cite("budapest:9(1)(e)") == "Budapest Convention, Art. 9(1)(e)"


def test_area_order_and_all(test_catalog: Catalog) -> None:
    reports = analyse_all(test_catalog)
    assert [r.country for r in reports] == ["AR", "BR", "MX"]
    for r in reports:
        order = [AREAS.index(a.area) for a in r.areas]
        assert order == sorted(order)


def test_matrix(test_catalog: Catalog) -> None:
    mx = matrix(test_catalog)
    assert mx.countries == ("AR", "BR", "MX")
    assert len(mx.cells) == 3 and all(len(r) == len(test_catalog.criteria) for r in mx.cells)
    assert mx.status("MX", "coop.party_budapest") == "not_met"
    assert mx.status("BR", "off.grooming") == "partial"
    assert mx.counts("BR")["partial"] == 2
    assert mx.as_of.isoformat() == "2026-11-01"
