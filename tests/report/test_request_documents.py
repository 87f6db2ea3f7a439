"""Request drafts as DOCX (opens with python-docx), PDF (text extracts) and HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from puente.drafting.examples import EXAMPLE_CASE as CASE
from puente.drafting.examples import EXAMPLE_NOW as NOW
from puente.drafting.examples import example_facts as parsed
from puente.drafting.examples import example_legal_context as legal_context
from puente.drafting.model import RequestType
from puente.drafting.render import render
from puente.drafting.validation import prepare
from puente.errors import InputError
from puente.report.requests import parse_blocks, write, write_all


def _text(kind: RequestType = RequestType.PRESERVATION, lang: str | None = None) -> str:
    return render(prepare(kind, CASE, parsed(), legal_context(), lang=lang, now=NOW)).text


def test_blocks() -> None:
    blocks = parse_blocks("# T\n\n## H\n\n- a\n- b\n\ntext\n> note\n")
    assert [b.kind for b in blocks] == ["title", "heading", "list", "para", "note"]
    assert blocks[2].items == ["a", "b"]


def test_docx_opens_and_keeps_every_line(tmp_path: Path) -> None:
    text = _text()
    (path,) = write_all(text, tmp_path, "req", "pt", formats=["docx"])
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0].startswith("Pedido de conservação expedita")
    assert "Unidad Fiscal Especializada de Prueba" in "\n".join(paragraphs)
    assert any("203.0.113.7" in p for p in paragraphs)
    assert any(p.style is not None and p.style.name == "List Bullet" for p in doc.paragraphs)


def test_pdf_text_extracts(tmp_path: Path) -> None:
    path = write(_text(RequestType.MLA_STORED_DATA, "es"), tmp_path / "r.pdf", "pdf", "es")
    extracted = " ".join(page.extract_text() for page in PdfReader(str(path)).pages)
    assert "asistencia jurídica mutua" in extracted
    assert "203.0.113.7" in extracted


def test_html_escapes(tmp_path: Path) -> None:
    path = write("# A <b> & C\n", tmp_path / "x.html", "html", "en")
    assert "A &lt;b&gt; &amp; C" in path.read_text(encoding="utf-8")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="odt"):
        write("# x\n", tmp_path / "x.odt", "odt", "es")


@pytest.mark.parametrize(("lang", "tag"), [("pt", "pt-BR"), ("es", "es-ES")])
def test_docx_is_proofed_in_the_drafts_language(tmp_path: Path, lang: str, tag: str) -> None:
    from docx import Document
    from docx.oxml.ns import qn

    path = write(_text(RequestType.PRESERVATION, lang), tmp_path / "r.docx", "docx", lang)
    doc = Document(str(path))
    assert doc.core_properties.language == tag
    rpr = doc.styles["Normal"].element.rPr
    assert rpr is not None and rpr.find(qn("w:lang")).get(qn("w:val")) == tag
