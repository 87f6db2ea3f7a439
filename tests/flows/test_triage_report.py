"""Report and export flows on a scanned case: files written atomically, custody recorded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from puente.config import Settings
from puente.errors import InputError, NotFound, UnknownFormat
from puente.flows import triage
from puente.store.cases import CaseStore

from .test_triage_scan import index_for, make_tree


@pytest.fixture
def scanned(sqlite_engine: Engine, settings: Settings, tmp_path: Path) -> int:
    root = tmp_path / "evidence"
    listed = make_tree(root, n=4)
    case = triage.create_case(sqlite_engine, "report test", "UY", "DGI", "ana", reference="R-9")
    ev = triage.add_evidence(sqlite_engine, case.id, root, "folder", "ana")
    small = settings.model_copy(update={"workers": 1})
    triage.scan_evidence(sqlite_engine, small, case.id, ev.id, "ana", index=index_for(listed))
    return case.id


def test_report_in_three_languages_and_json(
    sqlite_engine: Engine, settings: Settings, scanned: int, tmp_path: Path
) -> None:
    for lang in ("es", "pt", "en"):
        out = triage.write_report(
            sqlite_engine,
            settings,
            scanned,
            "ana",
            fmt="html",
            lang=lang,
            output=tmp_path / f"r.{lang}.html",
        )
        html = out.read_text(encoding="utf-8")
        assert f'lang="{lang}"' in html and "outer.zip!/a.txt" in html
    default = triage.write_report(sqlite_engine, settings, scanned, "ana", fmt="json")
    assert default.parent == settings.home / "reports"
    data = json.loads(default.read_text(encoding="utf-8"))
    assert data["counts"]["matched"] == 2 and data["custody"]["intact"]
    assert data["hashsets"][0]["name"] == "demo-set"
    log = CaseStore(sqlite_engine).custody(scanned)
    assert [e.action for e in log].count("report_generated") == 4
    assert log[-1].details["sha256"] == hashlib.sha256(default.read_bytes()).hexdigest()


def test_exports_are_recorded(
    sqlite_engine: Engine, settings: Settings, scanned: int, tmp_path: Path
) -> None:
    vics = triage.export_case(
        sqlite_engine, settings, scanned, "ana", fmt="vics", output=tmp_path / "v.json"
    )
    assert json.loads(vics.read_text())["value"][0]["CaseNumber"] == "R-9"
    case = triage.export_case(
        sqlite_engine, settings, scanned, "ana", fmt="case", output=tmp_path / "c.jsonld"
    )
    assert "@graph" in json.loads(case.read_text())
    log = CaseStore(sqlite_engine).custody(scanned)
    assert [e.details["format"] for e in log if e.action == "export"] == ["vics", "case"]


def test_bad_report_and_export_input_writes_nothing(
    sqlite_engine: Engine, settings: Settings, scanned: int, tmp_path: Path
) -> None:
    before = len(CaseStore(sqlite_engine).custody(scanned))
    with pytest.raises(UnknownFormat, match="docx"):
        triage.write_report(sqlite_engine, settings, scanned, "ana", fmt="docx")
    with pytest.raises(InputError, match="fr"):
        triage.write_report(sqlite_engine, settings, scanned, "ana", lang="fr")
    with pytest.raises(InputError, match="folder"):
        triage.write_report(sqlite_engine, settings, scanned, "ana", output=tmp_path)
    with pytest.raises(UnknownFormat, match="xml"):
        triage.export_case(
            sqlite_engine, settings, scanned, "ana", fmt="xml", output=tmp_path / "x"
        )
    with pytest.raises(NotFound):
        triage.write_report(sqlite_engine, settings, 99, "ana")
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".*partial"))
    assert len(CaseStore(sqlite_engine).custody(scanned)) == before
