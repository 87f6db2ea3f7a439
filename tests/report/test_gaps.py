"""Gap report and matrix documents for the fixed test pack (AR, BR, MX).

Golden files pin the HTML; regenerate with PUENTE_UPDATE_GOLDEN=1 after a deliberate change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog
from puente.report.gaps import COLOURS, gap_report_docx, gap_report_html, heatmap, matrix_html

TEST_PACKS = Path(__file__).parents[1] / "legal" / "packs"
GOLDEN = Path(__file__).parents[1] / "golden" / "gaps"
# Read at import: the autouse fixture clears PUENTE_* variables before each test.
UPDATE = os.environ.get("PUENTE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog([TEST_PACKS])


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden {path}; run with PUENTE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_gap_report_html_golden(cat: Catalog, lang: str) -> None:
    html = gap_report_html(cat, None, lang)
    _golden(f"report.{lang}.html", html)


def test_gap_report_content(cat: Catalog) -> None:
    html = gap_report_html(cat, ["BR"], "en")
    assert "Brazil (BR)" in html and "Argentina" not in html
    assert "ECA (Lei 8.069/1990), art. 241-D" in html
    assert "Lanzarote Convention, Art. 23" in html
    assert "Research to do" in html
    es = gap_report_html(cat, ["BR"], "es")
    assert "Análisis de brechas legislativas" in es and "Parcial" in es
    # Product terminology, never the statute's words in our own text.
    assert "pornograf" not in es.lower()


def test_matrix_html_golden(cat: Catalog) -> None:
    html = matrix_html(cat, "en")
    _golden("matrix.en.html", html)
    assert "As of 2026-11-01" in html
    for colour in COLOURS.values():
        assert colour in html


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        )
        return out.stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["es", "pt"])
def test_pdf_renders_every_country(cat: Catalog, tmp_path: Path, lang: str) -> None:
    from puente.report.gaps import gap_report_pdf

    pdf = gap_report_pdf(cat, None, lang, tmp_path / "gaps.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    for code in cat.countries:
        assert f"({code})" in text, code
        assert cat.country_name(code, lang) in text
    # Each country starts on a page of its own (no heading orphaned at a page foot).
    from pypdf import PdfReader

    pages = [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]
    first = [
        next(i for i, t in enumerate(pages) if f"{cat.country_name(c, lang)} ({c})" in t)
        for c in cat.countries
    ]
    assert len(set(first)) == len(first), first
    # Printed copies are numbered: "n / total" at the foot of every page.
    n = len(pages)
    assert all(re.search(rf"\b{i}\s*/\s*{n}\b", t) for i, t in enumerate(pages, 1))


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_docx_opens(cat: Catalog, tmp_path: Path, lang: str) -> None:
    from docx import Document

    path = gap_report_docx(cat, None, lang, tmp_path / "gaps.docx")
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    for code in cat.countries:
        assert f"{cat.country_name(code, lang)} ({code})" in text
    assert "art. 241-D" in cells
    assert doc.tables


def test_heatmap_png_size_and_legend(cat: Catalog, tmp_path: Path) -> None:
    # Checked visually once (3 countries x 34 criteria, legend below, as-of in the title).
    info = heatmap(cat, tmp_path / "m.png", "en")
    assert info.legend == ("+ Met", "~ Partial", "x Not met", "? Unknown")
    with Image.open(info.path) as img:
        assert img.format == "PNG"
        assert img.size == info.size == (1600, 446)
        colours = {c for _, c in img.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    for hex_colour in COLOURS.values():
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, hex_colour


def test_heatmap_svg_and_languages(cat: Catalog, tmp_path: Path) -> None:
    info = heatmap(cat, tmp_path / "m.svg", "pt")
    svg = info.path.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert info.legend[0] == "+ Cumpre"
    assert info.areas == (
        "Definições",
        "Crimes",
        "Processo",
        "Cooperação internacional",
        "Organização",
    )


def test_heatmap_rejects_other_formats(cat: Catalog, tmp_path: Path) -> None:
    from puente.errors import UnknownFormat

    with pytest.raises(UnknownFormat):
        heatmap(cat, tmp_path / "m.gif")
    assert not (tmp_path / "m.gif").exists()


def test_summaries_in_the_document_language(cat: Catalog) -> None:
    es = gap_report_html(cat, ["BR"], "es")
    # BR grooming is translated in the test pack: shown in Spanish, no English marker.
    assert "Resumen: Engatusar a un niño" in es
    assert "Luring a child" not in es
    # BR's Second Protocol entry has no translation: English, marked as such.
    assert "Resumen (en inglés): Signed; ratification not shown" in es
    pt = gap_report_html(cat, ["BR"], "pt")
    assert "Resumo: Aliciar uma criança" in pt
    en = gap_report_html(cat, ["BR"], "en")
    assert "Summary: Luring a child" in en and "(en inglés)" not in en


def test_baseline_and_model_cited_in_the_document_language(cat: Catalog) -> None:
    es = gap_report_html(cat, ["BR"], "es")
    assert "Convenio de Lanzarote, Art. 23" in es and "Lanzarote Convention" not in es
    assert "Modelo: Convenio de Lanzarote, Art. 23" in es
    pt = gap_report_html(cat, ["AR"], "pt")
    assert "Tratado de Medellín, canal Iber@" in pt and "Iber@ channel" not in pt


def test_table_header_repeats_on_each_pdf_page(cat: Catalog) -> None:
    html = gap_report_html(cat, ["BR"], "en")
    assert "<thead><tr><th>Criterion</th>" in html


def test_research_notes_drop_the_repeated_prefix_and_are_marked_english() -> None:
    from puente.report.gaps import research_note

    assert research_note("research to do: check art. 128", "es") == "check art. 128 (en inglés)"
    assert research_note("Research to do", "pt") == ""
    assert research_note("check the gazette", "en") == "check the gazette"
    assert research_note(None, "es") == ""


def test_matrix_lists_criteria_in_the_document_language(cat: Catalog) -> None:
    html = matrix_html(cat, "es")
    _golden("matrix.es.html", html)
    assert "Posesión simple" in html and "Definiciones" in html


def test_docx_is_a4_with_bold_repeating_header(cat: Catalog, tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm

    doc = Document(str(gap_report_docx(cat, ["BR"], "pt", tmp_path / "gaps.docx")))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21.0)) < Cm(0.01)  # stored in twips
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
    assert doc.core_properties.language == "pt"
    header = doc.tables[0].rows[0]
    assert header.cells[0].paragraphs[0].runs[0].bold
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "Resumo: Aliciar uma criança" in cells
    assert "Convenção de Lanzarote, Art. 23" in cells
    breaks = Document(str(gap_report_docx(cat, None, "es", tmp_path / "all.docx")))
    xml = breaks.element.body.xml
    assert xml.count('w:type="page"') == len(cat.countries) - 1  # a page per country


def test_channel_reasons_in_every_language_match_the_english_analysis() -> None:
    """The es/pt wording is rebuilt from the answers; its English twin must equal the
    reason gaps.basis writes, for every pair of bundled countries."""
    from itertools import permutations

    from puente.gaps.basis import legal_basis
    from puente.report.gaps import channel_reason

    bundled = load_catalog()
    for a, b in permutations(bundled.countries, 2):
        basis = legal_basis(bundled, a, b, "possession")
        for ch in basis.channels:
            assert channel_reason(basis, ch, "en") == ch.reason, (a, b, ch.id)
            for lang in ("es", "pt"):
                assert channel_reason(basis, ch, lang) != ch.reason, (a, b, ch.id, lang)
