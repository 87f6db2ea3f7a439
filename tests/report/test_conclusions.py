"""Regional conclusions: structure pinned by golden files in es/pt/en; PDF and DOCX open.

Regenerate the golden files with PUENTE_UPDATE_GOLDEN=1 after an intended change.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from puente.capacity.examples import FICTITIOUS, example_assessments
from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog
from puente.report import conclusions as concl
from puente.report.documents import LANGS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "conclusions"
ISSUED = date(2026, 11, 28)
# Read at import: the autouse fixture clears PUENTE_* variables before each test runs.
UPDATE = os.environ.get("PUENTE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


class _Structure(HTMLParser):
    """Headings, table headers, images and notices: the document's skeleton, not its data."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._tag: str | None = None
        self._text = ""
        self._table: str | None = None
        self._header: list[str] | None = None
        self._row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag in ("h1", "h2", "h3", "h4") or (tag == "p" and cls in ("fictitious", "missing")):
            self._tag, self._text = f"{tag}.{cls}" if cls else tag, ""
        elif tag == "table":
            self._table, self._header, self._row = cls, [], 0
        elif tag == "tr":
            self._row += 1
        elif tag == "th" and self._row == 1:
            self._tag, self._text = "th", ""
        elif tag == "img":
            self.lines.append(f"img: {a.get('alt')}")
        elif tag == "section":
            self.lines.append(f"section#{a.get('id')}")

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._tag and tag == self._tag.split(".")[0]:
            text = " ".join(self._text.split())
            if self._tag == "th" and self._header is not None:
                self._header.append(text)
            else:
                self.lines.append(f"{self._tag}: {text}")
            self._tag = None
        elif tag == "table" and self._header is not None:
            self.lines.append(f"table.{self._table}: {' | '.join(self._header)}")
            self._header = None


def structure(html: str) -> list[str]:
    parser = _Structure()
    parser.feed(html)
    return parser.lines


def _check_golden(name: str, lines: list[str]) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(lines, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert lines == expected


def docx_structure(path: Path) -> list[str]:
    """Headings and each table's header row, in document order."""
    from docx import Document

    word = Document(str(path))
    lines: list[str] = []
    body = word.element.body
    tables = iter(word.tables)
    paragraphs = iter(word.paragraphs)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = next(paragraphs)
            if p.style.name.startswith(("Heading", "Title")):
                lines.append(f"{p.style.name}: {p.text}")
        elif tag == "tbl":
            t = next(tables)
            lines.append("table: " + " | ".join(c.text for c in t.rows[0].cells))
    return lines


@pytest.mark.parametrize("lang", LANGS)
def test_structure_is_pinned_in_every_language(catalog: Catalog, lang: str, tmp_path: Path) -> None:
    steps, as_of = concl.procedure_steps(catalog, lang)
    doc = concl.build(
        catalog,
        example_assessments(),
        lang,
        issued=ISSUED,
        procedure=steps,
        procedure_as_of=as_of,
        charts_enabled=False,
    )
    assert doc.missing == ()
    assert len(steps) >= 8 and all(s.title and s.role and s.basis for s in steps)
    html = concl.to_html(doc)
    _check_golden(f"structure.{lang}.json", structure(html))
    _check_golden(
        f"structure.{lang}.docx.json", docx_structure(concl.to_docx(doc, tmp_path / "c.docx"))
    )
    assert doc.fictitious
    assert html.count(FICTITIOUS) >= 1 + len(doc.countries)
    assert ISSUED.isoformat() in html
    assert doc.kb_as_of is not None and doc.kb_as_of.isoformat() in html
    assert len(doc.pairs) == 13 * 12 // 2
    # measures are ranked by how many countries they serve
    served = [len(r.countries) for r in doc.measures]
    assert served == sorted(served, reverse=True)
    gaps = [g.gap_count for g in doc.common_gaps]
    assert gaps == sorted(gaps, reverse=True)


def test_missing_parts_are_said(catalog: Catalog) -> None:
    doc = concl.build(None, [], "en", issued=ISSUED, charts_enabled=False)
    html = concl.to_html(doc)
    assert doc.missing == ("legal", "procedure")
    assert "No capacity assessment is stored" in html
    assert "The legal knowledge base is not available" in html
    assert FICTITIOUS not in html
    real = concl.build(catalog, [], "pt", issued=ISSUED, charts_enabled=False)
    assert "procedimento harmonizado ainda não está disponível" in concl.to_html(real)


@pytest.mark.slow
def test_charts_pdf_and_docx(catalog: Catalog, tmp_path: Path) -> None:
    from docx import Document
    from pypdf import PdfReader

    # Three countries keep this quick; the full 13-country PDF was checked page by page as
    # images once (pdftoppm) and the CLI test builds the full document.
    small = replace(catalog, packs=catalog.packs[:3])
    codes = small.countries
    assessments = [a for a in example_assessments() if a.country in codes]
    steps, as_of = concl.procedure_steps(small, "es")
    doc = concl.build(
        small, assessments, "es", issued=ISSUED, procedure=steps, procedure_as_of=as_of
    )
    assert doc.heatmap_png and doc.needs_png and doc.matrix_png
    assert all(s.radar_png and s.radar_png.startswith(b"\x89PNG") for s in doc.countries)
    assert len(doc.pairs) == 3
    html = concl.write(doc, "html", tmp_path / "c.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 + len(codes)
    docx_path = concl.write(doc, "docx", tmp_path / "c.docx")
    word = Document(str(docx_path))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Conclusiones regionales de la red"
    assert [f"{s.name} ({s.country})" for s in doc.countries] == [
        h for h in headings if h.endswith(")") and len(h) > 5 and h[-4] == "("
    ]
    assert len(word.inline_shapes) == 3 + len(codes)
    assert any(FICTITIOUS in p.text for p in word.paragraphs)
    pdf_path = concl.write(doc, "pdf", tmp_path / "c.pdf")
    reader = PdfReader(str(pdf_path))
    assert len(reader.pages) > len(codes)
    text = reader.pages[0].extract_text()
    assert "FICTITIOUS EXAMPLE DATA" in text
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("lang", "mark", "other"), [("es", ",", "."), ("pt", ",", "."), ("en", ".", ",")]
)
def test_scores_use_the_languages_decimal_mark(lang: str, mark: str, other: str) -> None:
    import re

    from puente.report.charts import decimal

    assert decimal(2.5, lang) == f"2{mark}50" and decimal(2.54, lang, 1) == f"2{mark}5"
    doc = concl.build(None, example_assessments(), lang, issued=ISSUED, charts_enabled=False)
    html = concl.to_html(doc)
    assert re.search(rf">\d{re.escape(mark)}\d\d<", html)
    assert not re.search(rf">\d{re.escape(other)}\d\d<", html)


def test_real_and_example_assessments_mixed_are_said_so(tmp_path: Path) -> None:
    from dataclasses import replace as dc_replace

    from puente.capacity.examples import example_assessment

    real = dc_replace(
        example_assessment("AR", "police", 1), fictitious=False, assessed_on=date(2026, 11, 20)
    )
    only = concl.build(None, example_assessments(), "es", issued=ISSUED, charts_enabled=False)
    assert not only.mixed and "mezcla evaluaciones reales" not in concl.to_html(only)
    mixed = concl.build(
        None, [*example_assessments(), real], "es", issued=ISSUED, charts_enabled=False
    )
    assert mixed.mixed and mixed.fictitious
    assert "mezcla evaluaciones reales" in concl.to_html(mixed)
    from docx import Document

    text = "\n".join(p.text for p in Document(concl.to_docx(mixed, tmp_path / "m.docx")).paragraphs)
    assert "mezcla evaluaciones reales" in text
