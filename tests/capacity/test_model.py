from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from puente.capacity.model import (
    COUNTRIES,
    ITEMS_FILE,
    LANGS,
    Answer,
    Assessment,
    check_country,
    load_items,
    parse_items,
    validate,
)
from puente.errors import UnknownCountry, ValidationError


def test_items_cover_the_mnr_and_the_investigation_capacities() -> None:
    items = load_items()
    assert len(items.domains) == 7
    mnr = [i for i in items.items if i.id.startswith("mnr.")]
    assert [i.id for i in mnr] == [f"mnr.{n:02d}" for n in range(1, 22)]
    assert {i.domain for i in mnr} == {
        "policy",
        "criminal_justice",
        "victim",
        "societal",
        "industry",
        "media",
    }
    assert [
        len(items.items_of(d))
        for d in ("policy", "criminal_justice", "victim", "societal", "industry", "media")
    ] == [3, 4, 4, 4, 4, 2]
    inv = items.items_of("investigation")
    assert len(inv) == 11
    assert "inv.contact_point_24_7" in {i.id for i in inv}


def test_every_item_has_four_descriptors_in_three_languages() -> None:
    for item in load_items().items:
        assert len(item.levels) == 4
        for lvl in item.levels:
            assert all(lvl[lang] for lang in LANGS)
        # the descriptors of one item differ from level to level
        assert len({lvl["en"] for lvl in item.levels}) == 4


def test_items_file_problems_are_all_reported() -> None:
    data = yaml.safe_load(ITEMS_FILE.read_text(encoding="utf-8"))
    data["items"][0]["domain"] = "nowhere"
    del data["items"][1]["levels"][3]["pt"]
    with pytest.raises(ValidationError) as exc:
        parse_items(data)
    wheres = [p.where for p in exc.value.problems]
    assert "items[0].domain" in wheres
    assert "items[1].levels.3.pt" in wheres


def _assessment(**kw: object) -> Assessment:
    items = load_items()
    a = Assessment(
        country="AR",
        institution="police",
        assessed_on=date(2026, 1, 1),
        template_version=items.template_version,
        lang="es",
        answers=tuple(Answer(i.id, 2, "ev", ("training",), "high") for i in items.items),
    )
    return replace(a, **kw)  # type: ignore[arg-type]


def test_valid_assessment_passes() -> None:
    validate(_assessment(), load_items())


def test_validation_lists_every_problem() -> None:
    items = load_items()
    answers = list(_assessment().answers)[1:]  # first item missing
    answers[0] = Answer(answers[0].item_id, 5, "", ("money",), None)
    bad = _assessment(
        country="FR",
        institution="army",
        template_version="1999.1",
        lang="fr",
        answers=tuple(answers),
    )
    with pytest.raises(ValidationError) as exc:
        validate(bad, items)
    text = str(exc.value)
    for fragment in (
        "unknown country 'FR'",
        "unknown institution",
        "1999.1",
        "unknown language",
        "missing answer",
        "out of range",
        "unknown need 'money'",
    ):
        assert fragment in text


def test_check_country() -> None:
    assert check_country(" mx ") == "MX"
    assert len(COUNTRIES) == 13
    with pytest.raises(UnknownCountry, match="FR"):
        check_country("FR")
