"""Legal use cases for the edges: load packs, write the gap report and the matrix."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from puente.errors import InputError, UnknownFormat
from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog
from puente.report import gaps as report

REPORT_FORMATS = ("html", "pdf", "docx")
MATRIX_FORMATS = ("html", "png", "svg")


def catalog(packs: Sequence[Path] | None = None) -> Catalog:
    """The bundled packs, or the user's (baseline files they omit come from the bundle)."""
    return load_catalog(list(packs) if packs else None)


def _check_output(output: Path) -> None:
    """Fail before the (slow) rendering when the output cannot be written."""
    if output.is_dir():
        raise InputError(f"{output}: is a folder; give a file name for --output")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc


def _cannot_write(output: Path, tmp: Path, exc: OSError) -> InputError:
    with contextlib.suppress(OSError):  # nothing half-written stays behind
        tmp.unlink(missing_ok=True)
    return InputError(f"{output}: cannot write: {exc.strerror or exc}")


def _write_atomic(output: Path, text: str) -> Path:
    _check_output(output)
    tmp = output.with_name(f".{output.name}.part")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        raise _cannot_write(output, tmp, exc) from exc
    return output


def write_gap_report(
    cat: Catalog, countries: Sequence[str] | None, fmt: str, lang: str, output: Path
) -> Path:
    """Write the gap report; the document is built completely before the file appears."""
    if fmt not in REPORT_FORMATS:
        raise UnknownFormat(f"gap report format {fmt!r}: use one of {', '.join(REPORT_FORMATS)}")
    codes = [cat.country(c).code for c in countries] if countries else None
    _check_output(output)
    if fmt == "html":
        return _write_atomic(output, report.gap_report_html(cat, codes, lang))
    tmp = output.with_name(f".{output.name}.part")
    try:
        if fmt == "pdf":
            report.gap_report_pdf(cat, codes, lang, tmp)
        else:
            report.gap_report_docx(cat, codes, lang, tmp)
        tmp.replace(output)
    except OSError as exc:
        raise _cannot_write(output, tmp, exc) from exc
    return output


def write_matrix(cat: Catalog, fmt: str, lang: str, output: Path) -> Path:
    if fmt not in MATRIX_FORMATS:
        raise UnknownFormat(f"matrix format {fmt!r}: use one of {', '.join(MATRIX_FORMATS)}")
    if fmt != "html" and output.suffix.lower() != f".{fmt}":
        raise UnknownFormat(f"{output}: the file name must end in .{fmt} for --format {fmt}")
    _check_output(output)
    if fmt == "html":
        return _write_atomic(output, report.matrix_html(cat, lang))
    tmp = output.with_name(f".part.{output.name}")
    try:
        report.heatmap(cat, tmp, lang)
        tmp.replace(output)
    except OSError as exc:
        raise _cannot_write(output, tmp, exc) from exc
    return output
