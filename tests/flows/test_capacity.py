from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from puente.capacity.examples import FICTITIOUS, example_assessment
from puente.capacity.questionnaire import write_template
from puente.errors import Conflict, InputError, NotFound, UnknownCountry, ValidationError
from puente.flows import capacity as flow
from puente.store.capacity import CapacityStore


def test_import_stores_a_valid_questionnaire(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_template(tmp_path / "q.xlsx", "pt", filled=example_assessment("BR", "police", 0))
    stored = flow.import_questionnaire(sqlite_engine, path, operator="ana")
    assert stored.assessment.country == "BR"
    assert stored.assessment.source == str(path)
    view = flow.show_country(sqlite_engine, "br")
    assert view.profile.score is not None
    assert [s.id for s in view.assessments] == [stored.id]


def test_bad_questionnaire_stores_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_template(tmp_path / "q.xlsx", "es", filled=example_assessment("AR", "police", 0))
    wb = openpyxl.load_workbook(path)
    wb["Evaluación"]["H10"] = 9
    wb["Datos"]["B4"] = "XX"
    wb.save(path)
    with pytest.raises(ValidationError) as exc:
        flow.import_questionnaire(sqlite_engine, path, operator="ana")
    assert {p.where for p in exc.value.problems} >= {"Evaluación!H10", "Datos!B4"}
    assert CapacityStore(sqlite_engine).count() == 0


def test_compare_needs_two_assessments(sqlite_engine: Engine) -> None:
    store = CapacityStore(sqlite_engine)
    store.add(example_assessment("PY", "prosecution", 0), operator="x")
    with pytest.raises(NotFound, match="compare needs two"):
        flow.compare_institution(sqlite_engine, "PY", "prosecution")
    store.add(example_assessment("PY", "prosecution", 1), operator="x")
    cmp = flow.compare_institution(sqlite_engine, "PY", "prosecution")
    assert cmp.before.assessed_on < cmp.after.assessed_on
    third = replace(example_assessment("PY", "prosecution", 1), assessed_on=date(2027, 1, 1))
    store.add(third, operator="x")
    newest = flow.compare_institution(sqlite_engine, "PY", "prosecution")
    assert (newest.before.assessed_on, newest.after.assessed_on) == (
        date(2026, 5, 15),
        date(2027, 1, 1),
    )
    chosen = flow.compare_institution(
        sqlite_engine, "PY", "prosecution", before=date(2025, 5, 15), after=date(2027, 1, 1)
    )
    assert chosen.before.assessed_on == date(2025, 5, 15)
    with pytest.raises(NotFound, match="no assessment dated 2024-01-01"):
        flow.compare_institution(sqlite_engine, "PY", "prosecution", before=date(2024, 1, 1))
    with pytest.raises(InputError, match="two different dates"):
        flow.compare_institution(sqlite_engine, "PY", "prosecution", after=date(2025, 5, 15))
    with pytest.raises(UnknownCountry):
        flow.show_country(sqlite_engine, "FR")


def test_examples_load_write_and_never_overwrite_real_data(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    assert len(flow.load_examples(sqlite_engine, operator="x")) == 52
    assert len(flow.load_examples(sqlite_engine, operator="x")) == 52  # idempotent
    assert CapacityStore(sqlite_engine).count() == 52
    paths = flow.write_examples(tmp_path / "ex", "yaml")
    assert len(paths) == 52 and all(p.name.startswith("FICTITIOUS-") for p in paths)
    assert paths[0].read_text(encoding="utf-8").startswith(f"# {FICTITIOUS}")
    flow.remove_examples(sqlite_engine)
    real = replace(example_assessment("AR", "police", 0), fictitious=False)
    CapacityStore(sqlite_engine).add(real, operator="x")
    with pytest.raises(Conflict, match="police AR"):
        flow.load_examples(sqlite_engine, operator="x")
