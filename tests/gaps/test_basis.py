from __future__ import annotations

import pytest

from puente.errors import InputError, UnknownCountry
from puente.gaps.basis import CONDUCTS, conduct_criterion, legal_basis
from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog


def test_conduct_names_map_to_offence_criteria() -> None:
    assert conduct_criterion("possession") == "off.possession"
    assert conduct_criterion("Viewing") == "off.access"
    assert conduct_criterion("live-streaming") == "off.live_streaming"
    assert conduct_criterion("off.grooming") == "off.grooming"
    assert all(v.startswith("off.") for v in CONDUCTS.values())
    with pytest.raises(InputError, match="unknown conduct 'jaywalking'"):
        conduct_criterion("jaywalking")


def test_ar_to_mx_possession(test_catalog: Catalog) -> None:
    b = legal_basis(test_catalog, "ar", "MX", "possession")
    assert (b.from_, b.to, b.criterion_id) == ("AR", "MX", "off.possession")
    assert b.criminalised_both == "yes"
    assert "128" in (b.from_finding.citation or "")
    assert "202 bis" in (b.to_finding.citation or "")
    budapest = next(ci for ci in b.instruments if ci.instrument.id == "budapest")
    assert budapest.answer == "no"  # Mexico is not a Party
    assert b.common_instruments == ()
    ch = {c.id: c for c in b.channels}
    assert set(ch) == {"24_7", "central_authority", "ibera"}
    assert ch["24_7"].answer == "unknown"  # not both Budapest, contact points unknown
    assert ch["ibera"].answer == "unknown"
    unknown = {(f.country, f.criterion_id) for f in b.unknowns}
    assert ("MX", "coop.party_medellin") in unknown
    assert ("AR", "coop.contact_point_24_7") in unknown


def test_partial_and_unknown_dual_criminality(test_catalog: Catalog) -> None:
    assert legal_basis(test_catalog, "AR", "BR", "grooming").criminalised_both == "partial"
    assert legal_basis(test_catalog, "AR", "MX", "sextortion").criminalised_both == "unknown"


def test_budapest_parties_get_the_24_7_channel(test_catalog: Catalog) -> None:
    b = legal_basis(test_catalog, "AR", "BR", "possession")
    ch = {c.id: c for c in b.channels}
    assert ch["24_7"].answer == "yes" and "budapest:35" in ch["24_7"].basis
    assert [i.id for i in b.common_instruments] == ["budapest"]
    assert ch["ibera"].answer == "partial"  # both only signed Medellín


def test_bad_countries(test_catalog: Catalog) -> None:
    with pytest.raises(UnknownCountry):
        legal_basis(test_catalog, "AR", "ZZ", "possession")
    with pytest.raises(InputError, match="same country"):
        legal_basis(test_catalog, "AR", "ar", "possession")


def test_bundled_ar_to_mx_possession() -> None:
    cat = load_catalog()
    if not {"AR", "MX"} <= set(cat.countries):
        pytest.skip("AR or MX pack not written yet")
    b = legal_basis(cat, "AR", "MX", "possession")
    assert b.criminalised_both == "yes"
    assert all(f.citation for f in (b.from_finding, b.to_finding))
    assert "budapest" not in [i.id for i in b.common_instruments]
