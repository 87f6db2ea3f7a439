"""The triage report in HTML, PDF and JSON, in es/pt/en, pinned by golden files."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from puente.errors import InputError, UnknownFormat
from puente.report import triage

from .triage_sample import sample_report

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "triage"
UPDATE = os.environ.get("PUENTE_UPDATE_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden {name} missing: run with PUENTE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from golden"


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_html_report_matches_golden(lang: str) -> None:
    html = triage.render_html(sample_report(), lang)
    _golden(f"report.{lang}.html", html)


def test_html_report_has_every_required_part() -> None:
    report = sample_report()
    html = triage.render_html(report, "en")
    for needle in [
        "FIS-2026-001",
        "USB stick, 16 GB",
        "Puente 0.1.0",
        "OpenSSL 3",
        "5" * 64,  # settings digest
        "demo-set",
        "UFECI / AR",
        "format vics, 3 entries",
        "photos/b.jpg",
        f"{2:032x}",
        "max_ratio 100 exceeded",
        "Permission denied",
        "is intact",
        report.custody[-1].entry_hash,
        "&lt;test&gt;",  # case title escaped
    ]:
        assert needle in html, needle
    # The unmatched file is counted but not listed among matched files.
    matched = html.split("Matched files", 1)[1].split("Errors and limit hits", 1)[0]
    assert "photos/a.jpg" not in matched
    assert "<img" not in html  # never any content


def test_broken_custody_is_stated() -> None:
    report = dataclasses.replace(
        sample_report(), custody_problems=("custody entry seq 2 (position 2): modified",)
    )
    for lang, word in [("es", "ROTA"), ("pt", "QUEBRADA"), ("en", "BROKEN")]:
        html = triage.render_html(report, lang)
        assert word in html and "seq 2 (position 2)" in html


def test_json_report_matches_golden() -> None:
    data = triage.to_json(sample_report())
    assert data["counts"]["matched"] == 4 and data["counts"]["problems"] == 3
    assert data["counts"]["by_category"] == {
        "comparison": 1,
        "csam": 2,
        "exploitive": 1,
        "unmatched": 5,
    }
    assert data["counts"]["perceptual_matches"] == 2 and data["counts"]["images_hashed"] == 2
    assert data["counts"]["by_decode_mode"] == {"full": 1, "jpeg-draft-1/2": 1}
    pdq = next(i for i in data["matched"] if i["path"] == "photos/d.jpg")["matches"][0]
    assert (pdq["distance"], pdq["quality"], pdq["variant"]) == (12, 94, "rotate90")
    assert data["custody"]["intact"] is True
    _golden("report.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def test_pdf_report(tmp_path: Path) -> None:
    # One language is enough here: the HTML it is made from is pinned in all three.
    for lang, title in {"pt": "Relatório de triagem"}.items():
        out = tmp_path / f"r.{lang}.pdf"
        digest = triage.write(sample_report(), "pdf", lang, out)
        assert len(digest) == 64
        text = "".join(p.extract_text() for p in PdfReader(out).pages)
        assert title in text and "photos/b.jpg" in text
        assert re.search(r"FIS-2026-001", text)


def test_bad_format_and_language(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormat, match="docx"):
        triage.write(sample_report(), "docx", "en", tmp_path / "x")
    with pytest.raises(InputError, match="fr"):
        triage.render_html(sample_report(), "fr")


def test_library_versions_name_hashlib_and_decoders() -> None:
    names = dict(triage.library_versions())
    assert names["hashlib (OpenSSL)"].startswith("OpenSSL")
    assert {"pdqhash", "Pillow", "av"} <= set(names)


def test_variant_labels_name_trimming_and_query_views() -> None:
    from puente.report.documents import messages
    from puente.report.triage import variant_label

    en = messages("triage", "en")
    assert variant_label("rotate90", en) == en["variant_rotate90"]
    assert variant_label("trimmed2:original", en).endswith("after trimming borders")
    assert variant_label("cut25-bottom:original", en).endswith(
        "after cutting an edge band (cut25-bottom)"
    )
    es = messages("triage", "es")
    assert variant_label("derot+5.1-trim:flipx", es).endswith("enderezar una rotación de +5.1°")


def test_match_line_names_the_stored_view() -> None:
    from puente.cases.model import ScanItem, ScanMatch
    from puente.report.documents import messages
    from puente.report.triage import match_lines

    match = ScanMatch(
        "pdq", "ab" * 32, "ref", "1", "csam", "", 12, 90, "original", "view:crop10-tl"
    )
    item = ScanItem(
        1,
        "a.jpg",
        10,
        None,
        None,
        None,
        "image/jpeg",
        None,
        None,
        None,
        "ok",
        None,
        0,
        None,
        matches=(match,),
    )
    (line,) = match_lines(item, messages("triage", "es"))
    assert line == (
        "ref 1 (PDQ, distancia 12, calidad 90, variante: original, vista almacenada: crop10-tl)"
    )
