"""Request drafts and the procedure document as DOCX (editable for signature), HTML and PDF.

Drafts arrive as the drafting layer's structured text (``# `` title, ``## `` heading,
``- `` list item, ``> `` note, paragraphs); one parser feeds the three writers, so the
documents say exactly what the golden text says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from puente.errors import InputError
from puente.report.documents import html_to_pdf, render

FORMATS = ("docx", "pdf", "html")


@dataclass
class Block:
    kind: str  # title | heading | list | note | para
    text: str = ""
    items: list[str] = field(default_factory=list)


def parse_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# "):
            blocks.append(Block("title", line[2:].strip()))
        elif line.startswith("## "):
            blocks.append(Block("heading", line[3:].strip()))
        elif line.startswith("- "):
            if blocks and blocks[-1].kind == "list":
                blocks[-1].items.append(line[2:].strip())
            else:
                blocks.append(Block("list", items=[line[2:].strip()]))
        elif line.startswith("> "):
            blocks.append(Block("note", line[2:].strip()))
        else:
            blocks.append(Block("para", line.strip()))
    return blocks


def _title(blocks: Sequence[Block]) -> str:
    return next((b.text for b in blocks if b.kind == "title"), "Puente")


def to_html(text: str, lang: str, footer: str = "") -> str:
    blocks = parse_blocks(text)
    return render(
        "drafting/document.html.j2", blocks=blocks, lang=lang, title=_title(blocks), footer=footer
    )


# Proofing language of the editable draft: Word spell-checks it in the draft's language
# (python-docx's default template is en-US, which flags every Spanish word).
PROOFING = {"es": "es-ES", "pt": "pt-BR", "en": "en-GB"}


def write_docx(text: str, path: Path, footer: str = "", lang: str = "") -> Path:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Serif"
    style.font.size = Pt(11)
    blocks = parse_blocks(text)
    doc.core_properties.title = _title(blocks)
    if lang in PROOFING:
        doc.core_properties.language = PROOFING[lang]
        rpr = style.element.get_or_add_rPr()
        tag = rpr.find(qn("w:lang"))
        if tag is None:
            tag = OxmlElement("w:lang")
            rpr.append(tag)
        tag.set(qn("w:val"), PROOFING[lang])
    for block in blocks:
        if block.kind == "title":
            doc.add_heading(block.text, level=0)
        elif block.kind == "heading":
            doc.add_heading(block.text, level=1)
        elif block.kind == "list":
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif block.kind == "note":
            doc.add_paragraph().add_run(block.text).italic = True
        else:
            doc.add_paragraph(block.text)
    if footer:
        run = doc.add_paragraph().add_run(footer)
        run.font.size = Pt(8)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write(text: str, path: Path, fmt: str, lang: str, footer: str = "") -> Path:
    """Write one document in one format; the file name is the caller's."""
    if fmt == "docx":
        return write_docx(text, path, footer, lang)
    html = to_html(text, lang, footer)
    if fmt == "html":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        return path
    if fmt == "pdf":
        return html_to_pdf(html, path)
    raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_all(
    text: str,
    directory: Path,
    stem: str,
    lang: str,
    formats: Sequence[str] = FORMATS,
    footer: str = "",
) -> list[Path]:
    return [write(text, directory / f"{stem}.{fmt}", fmt, lang, footer) for fmt in formats]
