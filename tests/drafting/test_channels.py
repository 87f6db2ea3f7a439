"""The channels pack: complete, cited where named, unknown where the reference lacks it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from puente.drafting.channels import PACK, load_channels, parse_channels
from puente.errors import FormatError
from puente.network import COUNTRIES


def test_bundled_pack_covers_every_country_and_channel() -> None:
    entries = load_channels()
    assert {(e.country, e.channel) for e in entries} == {
        (c, ch) for c in COUNTRIES for ch in ("central_authority", "contact_24_7")
    }
    for entry in entries:
        if entry.known:
            assert entry.citation and entry.source and entry.as_of and entry.confidence
        else:
            assert "research to do" in entry.note


def test_ecuador_designation_is_cited() -> None:
    ec = {e.channel: e for e in load_channels() if e.country == "EC"}
    assert ec["contact_24_7"].name == "Fiscalía General del Estado"
    assert "Art. 35" in ec["contact_24_7"].citation and ec["contact_24_7"].confidence == "H"


def _pack() -> Any:
    return yaml.safe_load(PACK.read_text(encoding="utf-8"))


def test_named_entry_without_citation_is_refused() -> None:
    data = _pack()
    data["countries"]["BR"]["central_authority"] = {"name": "Someone"}
    with pytest.raises(FormatError, match=r"BR.central_authority: citation, source, as_of"):
        parse_channels(data, "test.yaml")


def test_missing_country_is_refused() -> None:
    data = _pack()
    del data["countries"]["UY"]
    with pytest.raises(FormatError, match="countries missing: UY"):
        parse_channels(data, "test.yaml")
