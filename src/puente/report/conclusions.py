"""The regional conclusions: legal gaps + capacity + needs, per country and for the region.

One model (``Conclusions``) is built from the legal catalog, the gap analysis, the capacity
assessments and, where available, the harmonised procedure; it is rendered to HTML (and PDF
from that HTML) and to DOCX. The document is dated (``issued``, given by the caller so that
output is reproducible), versioned (Puente version, questionnaire version, edition) and lists
its sources with the knowledge base's as-of dates. When any assessment is FICTITIOUS EXAMPLE
DATA, every format carries a banner and every chart says so.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from puente import __version__
from puente.capacity.examples import FICTITIOUS
from puente.capacity.model import Assessment, ItemSet, load_items
from puente.capacity.questionnaire import LABELS
from puente.capacity.scoring import CountryProfile, RegionalView, regional_view
from puente.gaps.analyse import CountryGaps, analyse
from puente.gaps.basis import legal_basis
from puente.legal.schema import STATUSES, Catalog, Finding
from puente.network import COUNTRIES as LABELS_COUNTRIES
from puente.report import charts
from puente.report.documents import check_lang, html_to_pdf, messages, render

FORMATS = ("html", "pdf", "docx")
# Parts the document can lack, and the message key that says so in the document.
MISSING = {
    "legal": "legal knowledge base (catalog, gap analysis, matrix, legal basis)",
    "procedure": "harmonised procedure (drafting.procedure)",
}
MISSING_MESSAGE = {"legal": "legal_missing", "procedure": "procedure_missing"}
PAIR_CONDUCTS = ("possession", "distribution", "grooming")
CHANNELS = ("24_7", "central_authority", "ibera")


@dataclass(frozen=True)
class CommonGap:
    criterion_id: str
    title: str
    not_met: tuple[str, ...]
    partial: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def gap_count(self) -> int:
        return len(self.not_met) + len(self.partial)


@dataclass(frozen=True)
class RankedMeasure:
    measure_id: str
    criterion_id: str
    text: str
    model: tuple[str, ...]  # human citations of the provisions it is modelled on
    countries: tuple[str, ...]


@dataclass(frozen=True)
class PairBasis:
    a: str
    b: str
    dual: tuple[str, ...]  # answer per PAIR_CONDUCTS
    instruments: tuple[str, ...]  # short names of instruments both are party to
    channels: tuple[str, ...]  # answer per CHANNELS


@dataclass(frozen=True)
class ProcedureStep:
    """One step of the harmonised procedure, as the conclusions show it."""

    title: str
    role: str
    time_limit: str  # each limit with the provision it comes from
    basis: str  # per criterion: how many countries meet it, and which are unknown
    command: str = ""  # the Puente command that supports the step


def procedure_steps(catalog: Catalog, lang: str) -> tuple[tuple[ProcedureStep, ...], date]:
    """The harmonised procedure (drafting.procedure) summarised across the network."""
    from puente.drafting.procedure import load_procedure, resolve

    gm = messages("gaps", lang)
    procedure = load_procedure()
    steps = []
    for rs in resolve(procedure, catalog, catalog.countries, lang):
        limits = "; ".join(
            f"{lim.text} ({lim.citation})" if lim.citation else lim.text for lim in rs.limits
        )
        per_criterion: dict[str, dict[str, list[str]]] = {}
        titles: dict[str, str] = {}
        for code, _name, bases in rs.basis:
            for b in bases:
                titles[b.criterion_id] = b.title
                per_criterion.setdefault(b.criterion_id, {st: [] for st in STATUSES})
                per_criterion[b.criterion_id].setdefault(b.fact.status, []).append(code)
        basis = []
        for cid, by in per_criterion.items():
            counts = ", ".join(
                f"{gm[f'status_{st}']} {len(by[st])}"
                + (f" ({' '.join(by[st])})" if st != "met" and by[st] else "")
                for st in STATUSES
                if by.get(st)
            )
            basis.append(f"{titles[cid]} [{cid}]: {counts}")
        steps.append(ProcedureStep(rs.title, rs.role, limits, "; ".join(basis), rs.step.command))
    return tuple(steps), procedure.as_of


@dataclass(frozen=True)
class CountrySection:
    country: str
    name: str
    gaps: CountryGaps | None
    profile: CountryProfile
    radar_png: bytes | None
    level_one: tuple[tuple[str, str], ...]  # (item title, institution label)


@dataclass(frozen=True)
class Conclusions:
    lang: str
    issued: date
    edition: int
    puente_version: str
    template_version: str
    kb_as_of: date | None
    fictitious: bool
    view: RegionalView
    countries: tuple[CountrySection, ...]
    common_gaps: tuple[CommonGap, ...]
    measures: tuple[RankedMeasure, ...]
    pairs: tuple[PairBasis, ...]
    procedure: tuple[ProcedureStep, ...] | None
    heatmap_png: bytes | None
    needs_png: bytes | None
    matrix_png: bytes | None
    matrix_counts: tuple[tuple[str, dict[str, int]], ...]
    pack_dates: tuple[tuple[str, date], ...]
    instruments: tuple[
        tuple[str, str, str, date, str], ...
    ]  # short, reference, source, as_of, conf
    assessments: tuple[Assessment, ...]
    item_sources: tuple[str, ...]
    missing: tuple[str, ...] = field(default=())  # keys of MISSING: parts not built, said so

    @property
    def mixed(self) -> bool:
        """Real and fictitious assessments both in the scores: the banner must not call the
        real ones fictitious."""
        used = [i for p in self.view.countries for i in p.institutions]
        return self.fictitious and any(not i.fictitious for i in used)

    def banner_key(self) -> str:
        return "fictitious_banner_mixed" if self.mixed else "fictitious_banner"

    procedure_as_of: date | None = None


def _png(path: Path) -> bytes:
    return path.read_bytes()


def build(
    catalog: Catalog | None,
    assessments: Sequence[Assessment],
    lang: str,
    *,
    issued: date,
    edition: int = 1,
    items: ItemSet | None = None,
    procedure: Sequence[ProcedureStep] | None = None,
    procedure_as_of: date | None = None,
    charts_enabled: bool = True,
) -> Conclusions:
    """Assemble everything the document shows (charts rendered to PNG bytes)."""
    check_lang(lang)
    items = items or load_items()
    m = messages("conclusions", lang)
    codes = catalog.countries if catalog is not None else tuple(LABELS_COUNTRIES)
    names = _names(catalog, lang)
    view = regional_view(list(assessments), items, codes)
    missing: list[str] = []
    gaps: dict[str, CountryGaps] = {}
    if catalog is not None:
        gaps = {c: analyse(catalog, c) for c in codes}
    else:
        missing.append("legal")
    if procedure is None:
        missing.append("procedure")
    inst_labels = {
        "police": m["police"],
        "prosecution": m["prosecution"],
        "country": m["country_mean"],
    }
    sections = []
    with tempfile.TemporaryDirectory(prefix="puente-conclusions-") as tmp:
        work = Path(tmp)
        for prof in view.countries:
            radar = None
            if charts_enabled and prof.score is not None:
                radar = _png(
                    charts.radar(
                        prof,
                        items,
                        lang,
                        work / f"radar-{prof.country}.png",
                        title=f"{m['capacity_profile']}: {names[prof.country]}",
                        labels=inst_labels,
                    )
                )
            latest = _latest_for(assessments, prof.country)
            level_one = tuple(
                (items.item(ans.item_id).title[lang], inst_labels[a.institution])
                for a in latest
                for ans in a.answers
                if ans.level == 1 and ans.item_id in items.item_ids
            )
            sections.append(
                CountrySection(
                    prof.country,
                    names[prof.country],
                    gaps.get(prof.country),
                    prof,
                    radar,
                    level_one,
                )
            )
        heat = needs = mat = None
        if charts_enabled and any(p.score is not None for p in view.countries):
            heat = _png(
                charts.capacity_heatmap(
                    view,
                    items,
                    lang,
                    work / "heatmap.png",
                    title=m["capacity_heatmap"],
                    country_names=names,
                    overall_label=m["overall"],
                )
            )
        if charts_enabled and view.needs:
            needs = _png(
                charts.needs_chart(
                    view.needs,
                    work / "needs.png",
                    title=m["needs"],
                    need_labels=LABELS[lang]["needs"],
                    answers_label=m["answers"],
                    high_label=m["high_priority"],
                    fictitious=view.fictitious,
                )
            )
        if charts_enabled and catalog is not None:
            from puente.report.gaps import heatmap as legal_heatmap

            mat = _png(legal_heatmap(catalog, work / "matrix.png", lang).path)
    return Conclusions(
        lang=lang,
        issued=issued,
        edition=edition,
        puente_version=__version__,
        template_version=items.template_version,
        kb_as_of=max((p.as_of for p in catalog.packs), default=None) if catalog else None,
        fictitious=view.fictitious,
        view=view,
        countries=tuple(sections),
        common_gaps=_common_gaps(catalog, lang) if catalog else (),
        measures=_ranked_measures(catalog, gaps, lang) if catalog else (),
        pairs=_pairs(catalog) if catalog else (),
        procedure=tuple(procedure) if procedure is not None else None,
        procedure_as_of=procedure_as_of,
        heatmap_png=heat,
        needs_png=needs,
        matrix_png=mat,
        matrix_counts=tuple(
            (c, {st: gaps[c].counts.get(st, 0) for st in STATUSES}) for c in codes if c in gaps
        ),
        pack_dates=tuple((p.code, p.as_of) for p in catalog.packs) if catalog else (),
        instruments=tuple(
            (i.short, i.reference, i.source, i.as_of, i.confidence) for i in catalog.instruments
        )
        if catalog
        else (),
        assessments=tuple(
            sorted(
                assessments,
                key=lambda a: (
                    codes.index(a.country) if a.country in codes else 99,
                    a.institution,
                    a.assessed_on,
                ),
            )
        ),
        item_sources=tuple(items.sources.values()),
        missing=tuple(missing),
    )


def _names(catalog: Catalog | None, lang: str) -> dict[str, str]:
    from puente.capacity.model import COUNTRY_NAMES

    names = {c: n[lang] for c, n in COUNTRY_NAMES.items()}
    if catalog is not None:
        names.update({c: catalog.country_name(c, lang) for c in catalog.countries})
    return names


def _latest_for(assessments: Sequence[Assessment], country: str) -> list[Assessment]:
    newest: dict[str, Assessment] = {}
    for a in assessments:
        if a.country == country and (
            a.institution not in newest or a.assessed_on > newest[a.institution].assessed_on
        ):
            newest[a.institution] = a
    return [newest[k] for k in sorted(newest)]


def _common_gaps(catalog: Catalog, lang: str) -> tuple[CommonGap, ...]:
    out = []
    for crit in catalog.criteria:
        by: dict[str, list[str]] = {st: [] for st in STATUSES}
        for c in catalog.countries:
            by[catalog.finding(c, crit.id).status].append(c)
        gap = CommonGap(
            crit.id,
            crit.title.get(lang),
            tuple(by["not_met"]),
            tuple(by["partial"]),
            tuple(by["unknown"]),
        )
        if gap.gap_count:
            out.append(gap)
    order = [c.id for c in catalog.criteria]
    return tuple(
        sorted(out, key=lambda g: (-g.gap_count, -len(g.not_met), order.index(g.criterion_id)))
    )


def _ranked_measures(
    catalog: Catalog, gaps: dict[str, CountryGaps], lang: str
) -> tuple[RankedMeasure, ...]:
    served: dict[str, list[str]] = {}
    for code, cg in gaps.items():
        for gap in cg.gaps:
            for measure in gap.measures:
                served.setdefault(measure.id, []).append(code)
    out = []
    order = [m.id for m in catalog.measures]
    for measure in catalog.measures:
        if measure.id not in served:
            continue
        model = []
        for ref in measure.model:
            try:
                model.append(catalog.cite(ref))
            except Exception:
                model.append(ref)
        out.append(
            RankedMeasure(
                measure.id,
                measure.criterion_id,
                measure.text.get(lang),
                tuple(model),
                tuple(dict.fromkeys(served[measure.id])),
            )
        )
    return tuple(sorted(out, key=lambda r: (-len(r.countries), order.index(r.measure_id))))


def _pairs(catalog: Catalog) -> tuple[PairBasis, ...]:
    codes = catalog.countries
    out = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            dual = []
            first = None
            for conduct in PAIR_CONDUCTS:
                basis = legal_basis(catalog, a, b, conduct)
                first = first or basis
                dual.append(basis.criminalised_both)
            assert first is not None
            channels = {ch.id: ch.answer for ch in first.channels}
            out.append(
                PairBasis(
                    a,
                    b,
                    tuple(dual),
                    tuple(inst.short for inst in first.common_instruments),
                    tuple(channels.get(ch, "unknown") for ch in CHANNELS),
                )
            )
    return tuple(out)


def _finding_text(f: Finding) -> str:
    bits = [f.citation or ""]
    meta = ", ".join(x for x in (f.confidence or "", f.as_of.isoformat()) if x)
    return f"{' '.join(bits).strip()} ({meta})" if meta else " ".join(bits)


def _context(c: Conclusions) -> dict[str, Any]:
    m = messages("conclusions", c.lang)
    items = load_items()
    gm = messages("gaps", c.lang)
    status_label = {st: gm[f"status_{st}"] for st in STATUSES}

    def uri(png: bytes | None) -> str | None:
        return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode()

    names = _names(None, c.lang)
    for sec in c.countries:
        names[sec.country] = sec.name
    answer = {k: m[f"answer_{k}"] for k in ("yes", "no", "partial", "unknown")}
    return {
        "c": c,
        "m": m,
        "lang": c.lang,
        "items": items,
        "names": names,
        "status_label": status_label,
        "statuses": STATUSES,
        "answer": answer,
        "need_label": LABELS[c.lang]["needs"],
        "inst_label": {"police": m["police"], "prosecution": m["prosecution"]},
        "uri": uri,
        "finding_text": _finding_text,
        "fictitious_word": FICTITIOUS,
        "conducts": PAIR_CONDUCTS,
        "channels": CHANNELS,
        "fmt": lambda v: "" if v is None else charts.decimal(v, c.lang),
        "meta_line": _meta_line(c, m),
        "missing_message": MISSING_MESSAGE,
    }


def to_html(c: Conclusions) -> str:
    return render("conclusions/document.html.j2", **_context(c))


def to_pdf(c: Conclusions, output: Path) -> Path:
    return html_to_pdf(to_html(c), output)


def to_docx(c: Conclusions, output: Path) -> Path:
    """The same content as the HTML, as an editable Word document."""
    import io

    from docx import Document
    from docx.shared import Cm, Pt, RGBColor

    ctx = _context(c)
    m, names, fmt = ctx["m"], ctx["names"], ctx["fmt"]
    items: ItemSet = ctx["items"]
    answer, status_label = ctx["answer"], ctx["status_label"]
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(9.5)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(1.8)

    def banner() -> None:
        if c.fictitious:
            p = doc.add_paragraph()
            run = p.add_run(m[c.banner_key()])
            run.bold = True
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = str(text)
            for r in cell.paragraphs[0].runs:
                r.bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = "" if text is None else str(text)

    def picture(png: bytes | None, width_cm: float) -> None:
        if png is not None:
            doc.add_picture(io.BytesIO(png), width=Cm(width_cm))

    doc.add_heading(m["title"], level=0)
    doc.add_paragraph(m["subtitle"])
    banner()
    doc.add_paragraph(_meta_line(c, m))
    doc.add_paragraph(m["intro"])
    doc.add_paragraph(m["method"])
    doc.add_paragraph(m["legal_note"])
    for what in c.missing:
        doc.add_paragraph(m[MISSING_MESSAGE[what]])

    doc.add_heading(m["region"], level=1)
    doc.add_heading(m["capacity_heatmap"], level=2)
    picture(c.heatmap_png, 17)
    table(
        [m["domain"], m["regional_mean"]],
        [[d.name[c.lang], fmt(c.view.domain_means.get(d.id))] for d in items.domains]
        + [[m["overall"], fmt(c.view.overall)]],
    )
    doc.add_heading(m["needs"], level=2)
    picture(c.needs_png, 13)
    table(
        [m["need"], m["countries_stating"], m["answers"], m["high_priority"]],
        [[ctx["need_label"][n.need], n.countries, n.items, n.high] for n in c.view.needs],
    )
    doc.add_heading(m["weakest"], level=2)
    table(
        [m["capability"], m["domain"], m["mean_level"]],
        [
            [items.item(i).title[c.lang], items.domain(items.item(i).domain).name[c.lang], fmt(v)]
            for i, v in c.view.weakest_items[:8]
        ],
    )
    doc.add_heading(m["criteria_matrix"], level=2)
    if not c.matrix_counts:
        doc.add_paragraph(m["legal_missing"])
    picture(c.matrix_png, 17)
    if c.matrix_counts:
        table(
            [m["country"], *(status_label[s] for s in STATUSES)],
            [
                [f"{names[code]} ({code})", *(cnt[s] for s in STATUSES)]
                for code, cnt in c.matrix_counts
            ],
        )
    doc.add_heading(m["common_gaps"], level=2)
    table(
        [m["criterion"], status_label["not_met"], status_label["partial"], m["unknown_countries"]],
        [
            [
                f"{g.title} ({g.criterion_id})",
                ", ".join(g.not_met),
                ", ".join(g.partial),
                ", ".join(g.unknown),
            ]
            for g in c.common_gaps
        ],
    )
    doc.add_heading(m["measures"], level=2)
    table(
        [m["measure"], m["criterion"], m["model"], m["serves"]],
        [
            [
                r.text,
                r.criterion_id,
                "; ".join(r.model),
                f"{len(r.countries)}: " + ", ".join(r.countries),
            ]
            for r in c.measures
        ],
    )
    doc.add_heading(m["procedure"], level=2)
    if c.procedure is None:
        doc.add_paragraph(m["procedure_missing"])
    else:
        if c.procedure_as_of is not None:
            doc.add_paragraph(f"{m['as_of']}: {c.procedure_as_of.isoformat()}")
        table(
            [m["step"], m["role"], m["time_limit"], m["legal_basis"], m["command"]],
            [
                [f"{n}. {s.title}", s.role, s.time_limit, s.basis, s.command]
                for n, s in enumerate(c.procedure, start=1)
            ],
        )
    doc.add_heading(m["pairs"], level=2)
    doc.add_paragraph(m["pairs_note"])
    if not c.pairs:
        doc.add_paragraph(m["legal_missing"])
    else:
        table(
            [
                m["pair"],
                *(m[f"conduct_{k}"] for k in PAIR_CONDUCTS),
                m["common_instruments"],
                *(m[f"channel_{ch}"] for ch in CHANNELS),
            ],
            [
                [
                    f"{p.a}-{p.b}",
                    *(answer[d] for d in p.dual),
                    ", ".join(p.instruments) or m["none"],
                    *(answer[x] for x in p.channels),
                ]
                for p in c.pairs
            ],
        )

    doc.add_heading(m["countries_section"], level=1)
    for sec in c.countries:
        doc.add_heading(f"{sec.name} ({sec.country})", level=2)
        doc.add_heading(m["legal_gaps"], level=3)
        if sec.gaps is None:
            doc.add_paragraph(m["legal_missing"])
        elif not sec.gaps.gaps:
            doc.add_paragraph(m["no_gaps"])
        else:
            table(
                [m["criterion"], m["status"], m["evidence"], m["measure"]],
                [
                    [
                        f"{g.criterion.title.get(c.lang)} ({g.criterion.id})",
                        status_label[g.status],
                        _finding_text(g.finding),
                        " ".join(x.text.get(c.lang) for x in g.measures),
                    ]
                    for g in sec.gaps.gaps
                ],
            )
        if sec.gaps is not None and sec.gaps.research:
            doc.add_paragraph(
                f"{m['research']}: " + ", ".join(r.criterion.id for r in sec.gaps.research)
            )
        doc.add_heading(m["capacity_profile"], level=3)
        prof = sec.profile
        if prof.score is None:
            doc.add_paragraph(m["no_assessment"])
            continue
        if prof.fictitious:
            doc.add_paragraph(FICTITIOUS)
        picture(sec.radar_png, 11)
        table(
            [
                m["domain"],
                *(
                    f"{ctx['inst_label'][i.institution]} {i.assessed_on.isoformat()}"
                    for i in prof.institutions
                ),
                m["country_mean"],
            ],
            [
                [
                    d.name[c.lang],
                    *(fmt(i.score.domains.get(d.id)) for i in prof.institutions),
                    fmt(prof.score.domains.get(d.id)),
                ]
                for d in items.domains
            ]
            + [
                [
                    m["overall"],
                    *(fmt(i.score.overall) for i in prof.institutions),
                    fmt(prof.score.overall),
                ]
            ],
        )
        doc.add_heading(m["country_needs"], level=3)
        table(
            [m["need"], m["answers"], m["high_priority"]],
            [[ctx["need_label"][n.need], n.items, n.high] for n in prof.needs],
        )
        if sec.level_one:
            doc.add_paragraph(
                f"{m['level_one']}: " + "; ".join(f"{t} ({i})" for t, i in sec.level_one)
            )

    doc.add_heading(m["sources"], level=1)
    doc.add_heading(m["capacity_sources"], level=2)
    for s in c.item_sources:
        doc.add_paragraph(s, style="List Bullet")
    doc.add_heading(m["kb_packs"], level=2)
    table(
        [m["country"], m["as_of"]], [[f"{names[k]} ({k})", d.isoformat()] for k, d in c.pack_dates]
    )
    doc.add_heading(m["instruments"], level=2)
    table(
        [m["instruments"], m["source"], m["as_of"]],
        [[f"{s} ({r})", src, f"{d.isoformat()} ({conf})"] for s, r, src, d, conf in c.instruments],
    )
    doc.add_heading(m["assessments_used"], level=2)
    table(
        [m["country"], m["institution"], m["assessed_on"], m["template_version"]],
        [
            [
                a.country,
                ctx["inst_label"][a.institution]
                + (f" ({m['fictitious_mark']})" if a.fictitious else ""),
                a.assessed_on.isoformat(),
                a.template_version,
            ]
            for a in c.assessments
        ],
    )
    banner()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    doc.save(str(tmp))
    tmp.replace(output)
    return output


def _meta_line(c: Conclusions, m: dict[str, str]) -> str:
    kb = c.kb_as_of.isoformat() if c.kb_as_of else "-"
    return (
        f"{m['issued']}: {c.issued.isoformat()} · {m['edition']} {c.edition} · "
        f"{m['version']}: Puente {c.puente_version} · {m['template_version']}: "
        f"{c.template_version} · {m['kb_as_of']}: {kb}"
    )


def write(c: Conclusions, fmt: str, output: Path) -> Path:
    """Write the document in one of FORMATS; never leaves a half-written file behind."""
    from puente.errors import UnknownFormat

    if fmt == "html":
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".part")
        tmp.write_text(to_html(c), encoding="utf-8")
        tmp.replace(output)
        return output
    if fmt == "pdf":
        tmp = output.with_name(output.name + ".part")
        to_pdf(c, tmp)
        tmp.replace(output)
        return output
    if fmt == "docx":
        return to_docx(c, output)
    raise UnknownFormat(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
