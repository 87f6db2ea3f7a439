"""Legal use cases for the edges: load packs, write the gap report and the matrix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from puente.errors import UnknownFormat
from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog
from puente.report import gaps as report

REPORT_FORMATS = ("html", "pdf", "docx")
MATRIX_FORMATS = ("html", "png", "svg")


def catalog(packs: Sequence[Path] | None = None) -> Catalog:
    """The bundled packs, or the user's (baseline files they omit come from the bundle)."""
    return load_catalog(list(packs) if packs else None)


def _write_atomic(output: Path, text: str) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return output


def write_gap_report(
    cat: Catalog, countries: Sequence[str] | None, fmt: str, lang: str, output: Path
) -> Path:
    """Write the gap report; the document is built completely before the file appears."""
    if fmt not in REPORT_FORMATS:
        raise UnknownFormat(f"gap report format {fmt!r}: use one of {', '.join(REPORT_FORMATS)}")
    codes = [cat.country(c).code for c in countries] if countries else None
    if fmt == "html":
        return _write_atomic(output, report.gap_report_html(cat, codes, lang))
    tmp = output.with_name(f".{output.name}.part")
    if fmt == "pdf":
        report.gap_report_pdf(cat, codes, lang, tmp)
    else:
        report.gap_report_docx(cat, codes, lang, tmp)
    tmp.replace(output)
    return output


def write_matrix(cat: Catalog, fmt: str, lang: str, output: Path) -> Path:
    if fmt not in MATRIX_FORMATS:
        raise UnknownFormat(f"matrix format {fmt!r}: use one of {', '.join(MATRIX_FORMATS)}")
    if fmt == "html":
        return _write_atomic(output, report.matrix_html(cat, lang))
    if output.suffix.lower() != f".{fmt}":
        raise UnknownFormat(f"{output}: the file name must end in .{fmt} for --format {fmt}")
    tmp = output.with_name(f".part.{output.name}")
    report.heatmap(cat, tmp, lang)
    tmp.replace(output)
    return output
