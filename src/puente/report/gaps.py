"""Gap report (HTML, PDF, DOCX) and regional matrix (HTML page, PNG/SVG heatmap).

Output is deterministic for a given catalog (no timestamps), so golden files can pin it;
dates shown are the packs' as-of dates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from puente import __version__
from puente.gaps.analyse import CountryGaps, analyse
from puente.gaps.basis import Channel, LegalBasis
from puente.gaps.matrix import Matrix, matrix
from puente.legal.schema import STATUSES, Catalog, Finding
from puente.report.documents import check_lang, html_to_pdf, messages, render

# Okabe-Ito colours (safe for the common colour-vision deficiencies), plus a light grey;
# cells also carry a symbol so status never depends on colour alone.
COLOURS: dict[str, str] = {
    "met": "#0072B2",
    "partial": "#F0E442",
    "not_met": "#D55E00",
    "unknown": "#DDDDDD",
}
SYMBOLS: dict[str, str] = {"met": "✓", "partial": "~", "not_met": "✗", "unknown": "?"}
ASCII_SYMBOLS: dict[str, str] = {"met": "+", "partial": "~", "not_met": "x", "unknown": "?"}


def status_labels(lang: str) -> dict[str, str]:
    m = messages("gaps", lang)
    return {st: m[f"status_{st}"] for st in STATUSES}


def summary_text(finding: Finding, lang: str) -> tuple[str, str]:
    """(label, text) of a finding's summary in ``lang``; an English fallback is marked
    as such in the label ("Resumen (en inglés)")."""
    m = messages("gaps", lang)
    text, text_lang = finding.summary_in(lang)
    return (m["summary"] if text_lang == lang else m["summary_in_english"]), text


def research_note(note: str | None, lang: str) -> str:
    """A research note (kept in English in the packs) for display: the leading
    "research to do:" repeats the section heading, so it is dropped; in es/pt the note
    is marked as English."""
    if not note:
        return ""
    text = _RESEARCH_PREFIX.sub("", note.strip(), count=1).strip()
    if not text or lang == "en":
        return text
    return f"{text} ({messages('gaps', lang)['note_in_english']})"


_RESEARCH_PREFIX = re.compile(r"^research to do\b[:;,.]?", re.IGNORECASE)


def channel_reason(basis: LegalBasis, channel: Channel, lang: str) -> str:
    """Why a channel fits (or not), in ``lang``. Rebuilt from the structured answers
    the same way ``gaps.basis`` words it in English; an unrecognised channel keeps the
    English reason. A test checks that the English wording matches ``Channel.reason``."""
    m = messages("gaps", lang)
    party = {ci.instrument.id: ci for ci in basis.instruments}
    if channel.id == "24_7":
        budapest = party.get("budapest")
        if budapest is not None and budapest.answer == "yes":
            return m["why_24_7_budapest"]
        return m[f"why_24_7_{channel.answer}"]
    if channel.id == "central_authority":
        treaties = [
            party[i].instrument.short_name(lang)
            for i in ("nassau", "budapest")
            if i in party and party[i].answer == "yes"
        ]
        if not treaties:
            return m["why_ca_none"]
        text = m["why_ca"].format(treaties=f" {m['and']} ".join(treaties))
        if channel.answer != "yes":
            text += " " + m["why_ca_recorded"].format(answer=m[f"answer_{channel.answer}"].lower())
        return text
    if channel.id == "ibera":
        return m[f"why_ibera_{channel.answer}"]
    return channel.reason


def _context(catalog: Catalog, lang: str) -> dict[str, Any]:
    check_lang(lang)
    return {
        "lang": lang,
        "m": messages("gaps", lang),
        "summary_text": lambda f: summary_text(f, lang),
        "research_note": lambda note: research_note(note, lang),
        "cite": lambda ref: catalog.cite(ref, lang),
        "statuses": STATUSES,
        "status_label": status_labels(lang),
        "names": {c: catalog.country_name(c, lang) for c in catalog.countries},
        "area_titles": {a: catalog.area_title(a, lang) for a in catalog.area_titles},
        "cites": {
            ms.id: "; ".join(catalog.cite(r, lang) for r in ms.model) for ms in catalog.measures
        },
        "version": __version__,
    }


def _reports(catalog: Catalog, countries: Sequence[str] | None) -> list[CountryGaps]:
    codes = list(countries) if countries else list(catalog.countries)
    return [analyse(catalog, c) for c in codes]


def gap_report_html(catalog: Catalog, countries: Sequence[str] | None, lang: str) -> str:
    return render(
        "gaps/report.html.j2", reports=_reports(catalog, countries), **_context(catalog, lang)
    )


def gap_report_pdf(
    catalog: Catalog, countries: Sequence[str] | None, lang: str, output: Path
) -> Path:
    return html_to_pdf(gap_report_html(catalog, countries, lang), output)


def gap_report_docx(
    catalog: Catalog, countries: Sequence[str] | None, lang: str, output: Path
) -> Path:
    """An editable Word document (prosecutors and coordinators edit in Word)."""
    from docx import Document
    from docx.shared import Cm, Pt

    ctx = _context(catalog, lang)
    m, labels = ctx["m"], ctx["status_label"]
    doc = Document()
    # A4 with the PDF's margins: the network prints on A4, python-docx defaults to Letter.
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(1.5))
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = m["report_title"]
    doc.core_properties.language = lang
    doc.core_properties.author = "Puente"
    doc.add_heading(m["report_title"], level=0)
    doc.add_paragraph(m["intro"])
    doc.add_paragraph().add_run(m["disclaimer"]).italic = True
    for i, cg in enumerate(_reports(catalog, countries)):
        if i:
            doc.add_page_break()  # type: ignore[no-untyped-call]  # a page per country
        doc.add_heading(f"{ctx['names'][cg.country]} ({cg.country})", level=1)
        counts = ", ".join(f"{labels[s]} {cg.counts[s]}" for s in STATUSES)
        doc.add_paragraph(f"{m['pack_as_of']}: {cg.as_of.isoformat()} · {m['counts']}: {counts}")
        if not cg.areas:
            doc.add_paragraph(m["no_gaps"])
        for ag in cg.areas:
            doc.add_heading(ctx["area_titles"].get(ag.area, ag.area), level=2)
            table = doc.add_table(rows=1, cols=5)
            table.style = "Table Grid"
            _repeat_header(table.rows[0])
            for cell, key, width in zip(
                table.rows[0].cells,
                ("criterion", "status", "baseline", "evidence", "measure"),
                _DOCX_WIDTHS_CM,
                strict=True,
            ):
                cell.paragraphs[0].add_run(m[key]).bold = True  # a new cell has one empty paragraph
                cell.width = Cm(width)
            for g in ag.gaps:
                f = g.finding
                row = table.add_row().cells
                summary_label, summary = summary_text(f, lang)
                row[0].text = f"{g.criterion.title[lang]} ({g.criterion.id})"
                row[1].text = labels[f.status]
                row[2].text = "\n".join(catalog.cite(b.ref, lang) for b in g.baseline)
                row[3].text = (
                    f"{f.citation}\n{summary_label}: {summary}\n{m['source']}: {f.source}\n"
                    f"{m['as_of']} {f.as_of.isoformat()} · {m['confidence']}: {f.confidence}"
                )
                row[4].text = (
                    "\n".join(
                        f"{ms.text[lang]} ({m['model']}: {ctx['cites'][ms.id]})"
                        for ms in g.measures
                    )
                    or m["no_measure"]
                )
                for cell, width in zip(row, _DOCX_WIDTHS_CM, strict=True):
                    cell.width = Cm(width)
        doc.add_heading(m["research"], level=2)
        if not cg.research:
            doc.add_paragraph(m["no_research"])
        for r in cg.research:
            note = research_note(r.note, lang)
            doc.add_paragraph(
                f"{r.criterion.title[lang]} ({r.criterion.id}){': ' + note if note else ''}",
                style="List Bullet",
            )
    doc.add_paragraph(f"{m['generated_by']} {__version__}")
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    return output


# Column widths (cm) of the gap tables on A4 less 3 cm of margins, as in the PDF.
_DOCX_WIDTHS_CM = (3.4, 2.0, 3.0, 6.0, 3.6)


def _repeat_header(row: Any) -> None:
    """Mark a table row as a header row that Word repeats on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def matrix_html(catalog: Catalog, lang: str, countries: Sequence[str] | None = None) -> str:
    mx = matrix(catalog, tuple(countries) if countries else None)
    return render(
        "gaps/matrix.html.j2",
        matrix=mx,
        colours=COLOURS,
        symbols=SYMBOLS,
        **_context(catalog, lang),
    )


@dataclass(frozen=True)
class Heatmap:
    path: Path
    size: tuple[int, int]  # pixels (PNG) at the figure's dpi
    legend: tuple[str, ...]  # legend labels, in STATUSES order
    areas: tuple[str, ...] = ()  # area names above the columns, in the heatmap's language


HEATMAP_DPI = 100


def heatmap(
    catalog: Catalog,
    output: Path,
    lang: str = "en",
    countries: Sequence[str] | None = None,
) -> Heatmap:
    """Countries × criteria heatmap as PNG or SVG (by the output's suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        from puente.errors import UnknownFormat

        raise UnknownFormat(f"{output}: heatmap format must be .png or .svg")
    check_lang(lang)
    mx: Matrix = matrix(catalog, tuple(countries) if countries else None)
    m = messages("gaps", lang)
    labels = status_labels(lang)
    index = {st: i for i, st in enumerate(STATUSES)}
    data = [[index[st] for st in row] for row in mx.cells]
    cmap = ListedColormap([COLOURS[s] for s in STATUSES])

    width, height = 16.0, 3.2 + 0.42 * max(len(mx.countries), 1)
    fig, ax = plt.subplots(figsize=(width, height), dpi=HEATMAP_DPI)
    try:
        ax.imshow(data, cmap=cmap, vmin=-0.5, vmax=len(STATUSES) - 0.5, aspect="auto")
        # Thin white lines between cells keep neighbouring cells of one colour apart.
        ax.set_xticks([x - 0.5 for x in range(1, len(mx.criteria))], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, len(mx.countries))], minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        ax.set_xticks(range(len(mx.criteria)))
        ax.set_xticklabels([c.id for c in mx.criteria], rotation=90, fontsize=7)
        ax.set_yticks(range(len(mx.countries)))
        ax.set_yticklabels(
            [f"{catalog.country_name(c, lang)} ({c})" for c in mx.countries], fontsize=8
        )
        for i, row in enumerate(mx.cells):
            for j, st in enumerate(row):
                colour = "white" if st in ("met", "not_met") else "black"
                ax.text(j, i, ASCII_SYMBOLS[st], ha="center", va="center", fontsize=7, color=colour)
        # Area names (in the document's language) above their columns, areas set apart
        # by a dark line: the column labels are criterion ids, the same in every language.
        groups: list[tuple[str, int, int]] = []
        for j, crit in enumerate(mx.criteria):
            if groups and groups[-1][0] == crit.area:
                groups[-1] = (crit.area, groups[-1][1], j)
            else:
                groups.append((crit.area, j, j))
        for _, first, _ in groups[1:]:
            ax.axvline(first - 0.5, color="#222", linewidth=1.6)
        top = ax.secondary_xaxis("top")
        top.set_xticks([(a + b) / 2 for _, a, b in groups])
        area_names = tuple(catalog.area_title(area, lang) for area, _, _ in groups)
        top.set_xticklabels(area_names, fontsize=8)
        top.tick_params(length=0)
        ax.set_title(
            f"{m['matrix_title']} — {m['as_of']} {mx.as_of.isoformat()}", fontsize=11, pad=18
        )
        handles = [
            Patch(facecolor=COLOURS[s], edgecolor="#555", label=f"{ASCII_SYMBOLS[s]} {labels[s]}")
            for s in STATUSES
        ]
        legend = fig.legend(
            handles=handles,
            loc="lower center",
            ncol=len(STATUSES),
            title=m["legend"],
            fontsize=8,
            frameon=False,
        )
        fig.subplots_adjust(left=0.14, right=0.99, top=1 - 0.75 / height, bottom=2.3 / height)
        output.parent.mkdir(parents=True, exist_ok=True)
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
        fig.savefig(str(output), format=fmt, dpi=HEATMAP_DPI, metadata=metadata)
        legend_labels = tuple(t.get_text() for t in legend.get_texts())
        size = (round(width * HEATMAP_DPI), round(height * HEATMAP_DPI))
    finally:
        plt.close(fig)
    return Heatmap(output, size, legend_labels, area_names)
