from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from puente.capacity.examples import example_assessment
from puente.capacity.model import LANGS, load_items
from puente.capacity.questionnaire import (
    LABELS,
    META_SHEET,
    read_questionnaire,
    to_mapping,
    write_template,
)
from puente.errors import FormatError, InputError, UnknownFormat, ValidationError


def _filled(tmp_path: Path, lang: str = "es", name: str = "q.xlsx") -> Path:
    a = example_assessment("AR", "police", 1)
    return write_template(tmp_path / name, lang, filled=a)


def _edit(path: Path, sheet: str, cell: str, value: object) -> None:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def _problems(path: Path, **kw: object) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        read_questionnaire(path, **kw)  # type: ignore[arg-type]
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("lang", LANGS)
def test_template_has_lists_headers_and_hidden_meta(tmp_path: Path, lang: str) -> None:
    path = write_template(tmp_path / "t.xlsx", lang)
    wb = openpyxl.load_workbook(path)
    lab = LABELS[lang]
    assert wb.sheetnames == [lab["details"], lab["assessment"], META_SHEET]
    assert wb[META_SHEET].sheet_state == "hidden"
    ws = wb[lab["assessment"]]
    assert [c.value for c in ws[1]] == lab["headers"]
    assert ws.max_row == 1 + len(load_items().items)
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"1,2,3,4"' in formulas
    assert any(lab["needs"]["training"] in f for f in formulas)
    assert ws["C2"].value == load_items().items[0].title[lang]
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("lang", LANGS)
def test_filled_workbook_round_trips(tmp_path: Path, lang: str) -> None:
    a = example_assessment("BR", "prosecution", 0)
    path = write_template(tmp_path / "q.xlsx", lang, filled=a)
    back = read_questionnaire(path)
    assert back.answers == a.answers
    assert (back.country, back.institution, back.assessed_on) == a.key
    assert back.lang == lang
    assert back.fictitious


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    a = example_assessment("MX", "police", 1)
    y = tmp_path / "a.yaml"
    y.write_text(yaml.safe_dump(to_mapping(a), allow_unicode=True), encoding="utf-8")
    j = tmp_path / "a.json"
    j.write_text(json.dumps(to_mapping(a)), encoding="utf-8")
    assert read_questionnaire(y).answers == a.answers
    assert read_questionnaire(j).answers == a.answers


def test_missing_cells_are_named(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _edit(path, "Evaluación", "H5", None)
    _edit(path, "Datos", "B4", None)
    _edit(path, "Datos", "B7", None)
    wb = openpyxl.load_workbook(path)
    level = wb["Evaluación"]["H6"].value
    wb.close()
    if level >= 2:
        _edit(path, "Evaluación", "I6", None)
    probs = _problems(path)
    assert any(p.startswith("Evaluación!H5: missing level for mnr.04") for p in probs)
    assert any(p.startswith("Datos!B4: missing country") for p in probs)
    assert any(p.startswith("Datos!B7: missing date") for p in probs)
    if level >= 2:
        assert any(p.startswith("Evaluación!I6: missing evidence") for p in probs)


def test_out_of_range_level(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _edit(path, "Evaluación", "H2", 5)
    _edit(path, "Evaluación", "H3", "alto")
    _edit(path, "Evaluación", "H4", 0)
    probs = _problems(path)
    assert any(p.startswith("Evaluación!H2: level 5") for p in probs)
    assert any(p.startswith("Evaluación!H3: level 'alto'") for p in probs)
    assert any(p.startswith("Evaluación!H4: level 0") for p in probs)


def test_unknown_country(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _edit(path, "Datos", "B4", "FR")
    assert any(p.startswith("Datos!B4: unknown country 'FR'") for p in _problems(path))


def test_other_template_version(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _edit(path, META_SHEET, "B2", "2025.9")
    probs = _problems(path)
    assert any(
        p.startswith("_puente!B2: questionnaire from template version '2025.9'") for p in probs
    )


def test_wrong_language(tmp_path: Path) -> None:
    path = _filled(tmp_path, "es")
    # asked for Portuguese
    assert any(
        "_puente!B3: questionnaire language is 'es', expected 'pt'" in p
        for p in _problems(path, lang="pt")
    )
    # metadata says Portuguese, sheets are Spanish
    _edit(path, META_SHEET, "B3", "pt")
    probs = _problems(path)
    assert any(p.startswith("Dados (sheet): missing") for p in probs)
    # a language Puente does not speak
    _edit(path, META_SHEET, "B3", "fr")
    assert any(p.startswith("_puente!B3: unknown language 'fr'") for p in _problems(path))
    with pytest.raises(InputError, match="fr"):
        read_questionnaire(path, lang="fr")


def test_headers_of_another_language(tmp_path: Path) -> None:
    path = _filled(tmp_path, "en")
    _edit(path, "Assessment", "H1", "Nivel (1-4)")
    assert any(
        p.startswith("Assessment!H1: header 'Nivel (1-4)' is not the 'en' header")
        for p in _problems(path)
    )


def test_needs_priority_and_rows(tmp_path: Path) -> None:
    path = _filled(tmp_path, "en")
    _edit(path, "Assessment", "J2", "Money")
    _edit(path, "Assessment", "J3", "Training")
    _edit(path, "Assessment", "L3", None)
    _edit(path, "Assessment", "A4", "mnr.99")
    probs = _problems(path)
    assert any(p.startswith("Assessment!J2: unknown need 'Money'") for p in probs)
    assert any(p.startswith("Assessment!L3: a need is stated") for p in probs)
    assert any(p.startswith("Assessment!A4: unknown item 'mnr.99'") for p in probs)
    assert any("row for item 'mnr.03' is missing" in p for p in probs)


def test_labels_of_any_language_and_codes_are_accepted(tmp_path: Path) -> None:
    path = _filled(tmp_path, "es")
    _edit(path, "Evaluación", "J2", "training")
    _edit(path, "Evaluación", "L2", "HIGH")
    _edit(path, "Datos", "B5", "police")
    a = read_questionnaire(path)
    assert a.answers[0].needs[0] == "training"
    assert a.answers[0].priority == "high"


def test_not_a_questionnaire(tmp_path: Path) -> None:
    junk = tmp_path / "x.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(FormatError, match=r"x\.xlsx"):
        read_questionnaire(junk)
    wb = openpyxl.Workbook()
    other = tmp_path / "other.xlsx"
    wb.save(other)
    assert any("_puente (sheet): missing" in p for p in _problems(other))
    with pytest.raises(UnknownFormat):
        read_questionnaire(tmp_path / "x.csv") if (tmp_path / "x.csv").write_text("a") else None
    bad_yaml = tmp_path / "b.yaml"
    bad_yaml.write_text("a: [1,\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"b\.yaml"):
        read_questionnaire(bad_yaml)


def test_yaml_problems_name_keys(tmp_path: Path) -> None:
    data = to_mapping(example_assessment("CL", "police", 0))
    data["country"] = "ZZ"
    data["template_version"] = "0.1"
    data["answers"]["mnr.02"]["level"] = 9
    del data["answers"]["mnr.03"]
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    probs = _problems(path)
    assert any(p.startswith("country: unknown country 'ZZ'") for p in probs)
    assert any(p.startswith("template_version:") for p in probs)
    assert any(p.startswith("answers.mnr.02.level: level 9") for p in probs)
    assert any(p.startswith("answers.mnr.03: missing answer") for p in probs)


def test_dates_and_text_levels(tmp_path: Path) -> None:
    path = _filled(tmp_path, "pt", "d.xlsx")
    _edit(path, "Dados", "B7", "2026-02-03")
    _edit(path, "Avaliação", "H2", "3")
    _edit(path, "Dados", "B4", "uy")
    a = read_questionnaire(path)
    assert (a.country, a.assessed_on.isoformat(), a.answers[0].level) == ("UY", "2026-02-03", 3)
    _edit(path, "Dados", "B7", "03/02/2026")
    _edit(path, "Avaliação", "H2", 2.5)
    probs = _problems(path)
    assert any(p.startswith("Dados!B7: not a date: '03/02/2026'") for p in probs)
    assert any(p.startswith("Avaliação!H2: level '2.5'") for p in probs)


def test_future_dates_are_refused(tmp_path: Path) -> None:
    from datetime import date, timedelta

    later = date.today() + timedelta(days=3)
    path = _filled(tmp_path, "es", "f.xlsx")
    _edit(path, "Datos", "B7", later.isoformat())
    assert any(
        p.startswith(f"Datos!B7: date of assessment {later} is in the future")
        for p in _problems(path)
    )
    data = to_mapping(example_assessment("CL", "police", 0))
    data["assessed_on"] = later.isoformat()
    yml = tmp_path / "f.yaml"
    yml.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert any(p.startswith("assessed_on: date of assessment") for p in _problems(yml))


def test_unknown_labels_are_answered_in_the_sheets_words(tmp_path: Path) -> None:
    path = _filled(tmp_path, "es", "l.xlsx")
    _edit(path, "Evaluación", "J2", "Dinero")
    _edit(path, "Evaluación", "L3", "Urgente")
    probs = _problems(path)
    assert any("J2: unknown need 'Dinero'" in p and "Formación, Equipamiento" in p for p in probs)
    assert any("L3: unknown priority 'Urgente'" in p and "Alta, Media, Baja" in p for p in probs)


def test_unparsable_yaml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(FormatError) as exc:
        read_questionnaire(bad)
    assert "\n" not in str(exc.value) and str(exc.value).startswith(f"{bad}:")
