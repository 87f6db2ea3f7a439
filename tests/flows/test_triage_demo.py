"""The triage demo end to end: generated benign evidence, demo set, scan, HTML report."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from puente.config import Settings
from puente.flows import triage
from puente.flows.triage_demo import DEMO_SET, make_demo_evidence, run_triage_demo


def test_demo_evidence_is_deterministic_and_has_the_hard_cases(tmp_path: Path) -> None:
    a = make_demo_evidence(tmp_path / "a", images=12)
    b = make_demo_evidence(tmp_path / "b", images=12)
    names = sorted(str(p.relative_to(a.folder)) for p in a.folder.rglob("*"))
    assert names == sorted(str(p.relative_to(b.folder)) for p in b.folder.rglob("*"))
    for rel in ("Respaldos/respaldo_2025.zip", "DCIM/100CAMERA/IMG_0000.png"):
        assert (a.folder / rel).read_bytes() == (b.folder / rel).read_bytes()
    assert (a.folder / "Respaldos" / "danado.zip").exists()
    assert os.path.islink(a.folder / "Privado" / "enlace_circular")
    assert a.alert_files and a.known_files


def test_demo_runs_end_to_end(sqlite_engine: Engine, settings: Settings) -> None:
    messages: list[str] = []
    small = settings.model_copy(update={"workers": 1})
    result = run_triage_demo(small, sqlite_engine, messages.append, images=40, lang="en")
    assert result.report.exists() and result.report.suffix == ".html"
    assert result.evidence.is_relative_to(settings.home)
    assert result.summary["matched"] >= 4
    assert result.summary["status_error"] >= 2  # damaged archive, symlink loop (+ chmod 000)
    html = result.report.read_text(encoding="utf-8")
    assert DEMO_SET in html and "is intact" in html
    # Altered copies listed by PDQ only: perceptual matches, with the variant named.
    assert "(PDQ, distance" in html and "variant:" in html
    _, items = triage.results(sqlite_engine, result.case_id, matched_only=True)
    # A member two archives deep matches too.
    assert any(i.depth == 2 for i in items)
    near = [m for i in items for m in i.matches if m.algorithm == "pdq"]
    assert len(near) >= 2
    assert {m.variant for m in near} >= {"rotate90", "flipy"}
    assert all(m.distance is not None and m.distance <= 31 for m in near)
    assert {c for i in items for c in i.categories} == {"csam", "known_good"}
    errors = {
        i.path: i.detail or ""
        for i in triage.results(sqlite_engine, result.case_id)[1]
        if i.status == "error"
    }
    assert any("symlink loop" in d for d in errors.values())
    assert any(p.startswith("Respaldos/danado.zip") for p in errors)
    if os.geteuid() != 0:
        assert "Privado/bloqueado.txt" in errors
    assert any("report written" in m for m in messages)
    # A second run makes a new case beside the first.
    again = run_triage_demo(small, sqlite_engine, images=10, lang="es")
    assert again.case_id != result.case_id
