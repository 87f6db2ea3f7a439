"""The questionnaire an institution fills in: XLSX template (es/pt/en) and import.

The workbook has three sheets: details (country, institution, date…), the assessment (one
row per item: the four level descriptors, then the level, evidence, needs and priority, with
drop-down lists) and a hidden ``_puente`` sheet recording the template version and language.
YAML and JSON with the same content are accepted too (see docs/capacity.md).

Import validates everything before anything is returned, and reports every problem at once
with its place: ``Evaluación!H5`` for a workbook cell, ``answers.mnr.04.level`` for a YAML or
JSON key. Nothing is stored here; the flow stores only an assessment that passed.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from puente.capacity.examples import FICTITIOUS
from puente.capacity.model import (
    INSTITUTIONS,
    LANGS,
    LEVELS,
    NEEDS,
    PRIORITIES,
    Answer,
    Assessment,
    ItemSet,
    load_items,
    validate,
)
from puente.errors import FormatError, InputError, Problem, UnknownFormat, ValidationError
from puente.network import COUNTRIES

KIND = "puente-capacity-questionnaire"
META_SHEET = "_puente"

# Everything the workbook shows, per language.
LABELS: dict[str, dict[str, Any]] = {
    "es": {
        "details": "Datos",
        "assessment": "Evaluación",
        "title": "Puente: cuestionario de capacidades y necesidades",
        "fields": [
            "País",
            "Institución",
            "Nombre de la institución",
            "Fecha de la evaluación",
            "Persona que responde",
            "Versión de la plantilla",
            "Idioma",
        ],
        "headers": [
            "ID",
            "Dominio",
            "Capacidad",
            "Nivel 1",
            "Nivel 2",
            "Nivel 3",
            "Nivel 4",
            "Nivel (1-4)",
            "Evidencia",
            "Necesidad",
            "Segunda necesidad",
            "Prioridad",
        ],
        "institutions": {"police": "Policía", "prosecution": "Fiscalía"},
        "needs": {
            "training": "Formación",
            "equipment": "Equipamiento",
            "legal_reform": "Reforma legal",
            "staff": "Personal",
            "cooperation": "Cooperación",
        },
        "priorities": {"high": "Alta", "medium": "Media", "low": "Baja"},
        "help": [
            "Una fila por capacidad: elija el nivel (1-4) que mejor describe la situación actual.",
            "Indique la evidencia (documento, norma, estadística) salvo en el nivel 1.",
            "Indique hasta dos necesidades y su prioridad.",
            "Fecha en formato AAAA-MM-DD. No cambie la hoja oculta _puente ni la columna ID.",
        ],
    },
    "pt": {
        "details": "Dados",
        "assessment": "Avaliação",
        "title": "Puente: questionário de capacidades e necessidades",
        "fields": [
            "País",
            "Instituição",
            "Nome da instituição",
            "Data da avaliação",
            "Pessoa que responde",
            "Versão do modelo",
            "Idioma",
        ],
        "headers": [
            "ID",
            "Domínio",
            "Capacidade",
            "Nível 1",
            "Nível 2",
            "Nível 3",
            "Nível 4",
            "Nível (1-4)",
            "Evidência",
            "Necessidade",
            "Segunda necessidade",
            "Prioridade",
        ],
        "institutions": {"police": "Polícia", "prosecution": "Ministério Público"},
        "needs": {
            "training": "Formação",
            "equipment": "Equipamento",
            "legal_reform": "Reforma legal",
            "staff": "Pessoal",
            "cooperation": "Cooperação",
        },
        "priorities": {"high": "Alta", "medium": "Média", "low": "Baixa"},
        "help": [
            "Uma linha por capacidade: escolha o nível (1-4) que melhor descreve a situação atual.",
            "Indique a evidência (documento, norma, estatística), exceto no nível 1.",
            "Indique até duas necessidades e a sua prioridade.",
            "Data no formato AAAA-MM-DD. Não altere a folha oculta _puente nem a coluna ID.",
        ],
    },
    "en": {
        "details": "Details",
        "assessment": "Assessment",
        "title": "Puente: capacity and needs questionnaire",
        "fields": [
            "Country",
            "Institution",
            "Institution name",
            "Date of assessment",
            "Respondent",
            "Template version",
            "Language",
        ],
        "headers": [
            "ID",
            "Domain",
            "Capability",
            "Level 1",
            "Level 2",
            "Level 3",
            "Level 4",
            "Level (1-4)",
            "Evidence",
            "Need",
            "Second need",
            "Priority",
        ],
        "institutions": {"police": "Police", "prosecution": "Prosecution"},
        "needs": {
            "training": "Training",
            "equipment": "Equipment",
            "legal_reform": "Legal reform",
            "staff": "Staff",
            "cooperation": "Cooperation",
        },
        "priorities": {"high": "High", "medium": "Medium", "low": "Low"},
        "help": [
            "One row per capability: choose the level (1-4) that best describes the situation now.",
            "Give the evidence (document, law, statistic) except at level 1.",
            "State up to two needs and their priority.",
            "Date as YYYY-MM-DD. Do not change the hidden _puente sheet or the ID column.",
        ],
    },
}

FIRST_FIELD_ROW = 4  # details: B4 country … B10 language
COL_LEVEL, COL_EVIDENCE, COL_NEED1, COL_NEED2, COL_PRIORITY = "H", "I", "J", "K", "L"


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def write_template(
    path: Path,
    lang: str,
    *,
    items: ItemSet | None = None,
    filled: Assessment | None = None,
) -> Path:
    """Write the questionnaire; ``filled`` pre-fills it (used for the fictitious examples)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    _check_lang(lang)
    items = items or load_items()
    lab = LABELS[lang]
    wb = Workbook()
    det = wb.active
    det.title = lab["details"]
    det["A1"] = lab["title"]
    det["A1"].font = Font(bold=True, size=14)
    if filled is not None and filled.fictitious:
        det["A2"] = FICTITIOUS
        det["A2"].font = Font(bold=True, color="C00000")
    values: list[Any] = [None] * 5
    if filled is not None:
        values = [
            filled.country,
            lab["institutions"][filled.institution],
            filled.institution_name,
            filled.assessed_on,
            filled.respondent,
        ]
    values += [items.template_version, lang]
    for n, (label, value) in enumerate(zip(lab["fields"], values, strict=True)):
        at = FIRST_FIELD_ROW + n
        det[f"A{at}"] = label
        det[f"A{at}"].font = Font(bold=True)
        det[f"B{at}"] = value
    det[f"B{FIRST_FIELD_ROW + 3}"].number_format = "yyyy-mm-dd"
    for n, line in enumerate(lab["help"]):
        det[f"A{FIRST_FIELD_ROW + 9 + n}"] = line
    det.column_dimensions["A"].width = 32
    det.column_dimensions["B"].width = 48
    dv_country = DataValidation(type="list", formula1=f'"{",".join(COUNTRIES)}"')
    dv_inst = DataValidation(
        type="list", formula1=f'"{",".join(lab["institutions"][i] for i in INSTITUTIONS)}"'
    )
    dv_date = DataValidation(type="date", operator="greaterThan", formula1="36526")  # > 2000
    for dv, cell in ((dv_country, 0), (dv_inst, 1), (dv_date, 3)):
        det.add_data_validation(dv)
        dv.add(f"B{FIRST_FIELD_ROW + cell}")

    ws = wb.create_sheet(lab["assessment"])
    ws.append(lab["headers"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for item in items.items:
        row: list[Any] = [
            item.id,
            items.domain(item.domain).name[lang],
            item.title[lang],
            *(lvl[lang] for lvl in item.levels),
        ]
        ans = filled.answer(item.id) if filled is not None else None
        if ans is not None:
            needs = [lab["needs"][n] for n in ans.needs[:2]]
            row += [
                ans.level,
                ans.evidence,
                needs[0] if needs else None,
                needs[1] if len(needs) > 1 else None,
                lab["priorities"][ans.priority] if ans.priority else None,
            ]
        ws.append(row)
    last = len(items.items) + 1
    for col, width in zip(
        "ABCDEFGHIJKL", (24, 22, 36, 30, 30, 30, 30, 11, 40, 18, 18, 12), strict=True
    ):
        ws.column_dimensions[col].width = width
    for r in ws.iter_rows(min_row=2, max_row=last, max_col=7):
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "D2"
    dv_level = DataValidation(type="list", formula1=f'"{",".join(str(v) for v in LEVELS)}"')
    dv_need = DataValidation(type="list", formula1=f'"{",".join(lab["needs"][n] for n in NEEDS)}"')
    dv_prio = DataValidation(
        type="list", formula1=f'"{",".join(lab["priorities"][p] for p in PRIORITIES)}"'
    )
    for dv in (dv_level, dv_need, dv_prio):
        ws.add_data_validation(dv)
    dv_level.add(f"{COL_LEVEL}2:{COL_LEVEL}{last}")
    dv_need.add(f"{COL_NEED1}2:{COL_NEED2}{last}")
    dv_prio.add(f"{COL_PRIORITY}2:{COL_PRIORITY}{last}")

    meta = wb.create_sheet(META_SHEET)
    meta.append(["kind", KIND])
    meta.append(["template_version", items.template_version])
    meta.append(["lang", lang])
    meta.append(["items", len(items.items)])
    meta.append(["fictitious", "yes" if filled is not None and filled.fictitious else "no"])
    meta.sheet_state = "hidden"

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)  # never leave a half-written questionnaire under the final name
    return path


@dataclass
class _Collector:
    problems: list[Problem]

    def add(self, where: str, what: str, fix: str = "") -> None:
        self.problems.append(Problem(where, what, fix))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _reverse(mapping: Mapping[str, str], value: str) -> str | None:
    """A code from its code or its label in any language (case-insensitive)."""
    low = value.casefold()
    if low in mapping:
        return low
    for code in mapping:
        if low == code.casefold():
            return code
    for lab in LABELS.values():
        table: dict[str, str] = {
            str(v).casefold(): str(k) for k, v in lab[_table_name(mapping)].items()
        }
        if low in table:
            return table[low]
    return None


def _table_name(mapping: Mapping[str, str]) -> str:
    keys = set(mapping)
    if keys == set(INSTITUTIONS):
        return "institutions"
    if keys == set(NEEDS):
        return "needs"
    return "priorities"


_CODES_INST = {i: i for i in INSTITUTIONS}
_CODES_NEED = {n: n for n in NEEDS}
_CODES_PRIO = {p: p for p in PRIORITIES}


def _level(value: Any) -> int | str | None:
    """An int level, None when empty, or the raw text when it is not a whole number."""
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else text


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


def _words(lab: Mapping[str, Any] | None, kind: str, codes: Sequence[str]) -> list[str]:
    """Labels of the sheet's language for ``codes``, or the codes themselves."""
    return [str(lab[kind][code]) for code in codes] if lab else list(codes)


def _in_the_future(day: date) -> bool:
    """Later than today everywhere on Earth (UTC+14): time zones never make a date future."""
    return day > (datetime.now(UTC) + timedelta(hours=14)).date()


def _answer(
    c: _Collector,
    item_id: str,
    level_raw: Any,
    evidence: str,
    needs_raw: list[Any],
    prio_raw: Any,
    at: dict[str, str],
    lab: Mapping[str, Any] | None = None,
) -> Answer | None:
    """Validate one answer; ``at`` names the place of each field for the messages."""
    ok = True
    level = _level(level_raw)
    if level is None:
        c.add(at["level"], f"missing level for {item_id}", "choose 1, 2, 3 or 4")
        ok = False
    elif not isinstance(level, int) or level not in LEVELS:
        c.add(at["level"], f"level {level!r} for {item_id} is out of range 1-4")
        ok = False
    if isinstance(level, int) and level >= 2 and not evidence:
        c.add(
            at["evidence"],
            f"missing evidence for {item_id} at level {level}",
            "name the document, law or statistic the level rests on",
        )
    needs: list[str] = []
    for n, raw in enumerate(needs_raw):
        text = _text(raw)
        if not text:
            continue
        code = _reverse(_CODES_NEED, text)
        if code is None:
            c.add(
                at[f"need{n}"],
                f"unknown need {text!r} for {item_id}",
                # The drop-down's own words where the sheet has them.
                f"use one of {', '.join(_words(lab, 'needs', NEEDS))}",
            )
            ok = False
        elif code not in needs:
            needs.append(code)
    prio_text = _text(prio_raw)
    priority = None
    if prio_text:
        priority = _reverse(_CODES_PRIO, prio_text)
        if priority is None:
            c.add(
                at["priority"],
                f"unknown priority {prio_text!r} for {item_id}",
                f"use one of {', '.join(_words(lab, 'priorities', PRIORITIES))}",
            )
            ok = False
    elif needs:
        c.add(at["priority"], f"a need is stated for {item_id} without a priority")
        ok = False
    if not ok or not isinstance(level, int):
        return None
    return Answer(item_id, level, evidence, tuple(needs), priority)


def read_xlsx(path: Path, *, items: ItemSet | None = None, lang: str | None = None) -> Assessment:
    """Read and validate a filled-in workbook; ValidationError names sheet and cell."""
    from openpyxl import load_workbook

    items = items or load_items()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FormatError(str(path), f"not a readable XLSX workbook ({exc})") from exc
    c = _Collector([])
    try:
        if META_SHEET not in wb.sheetnames:
            raise ValidationError(
                str(path),
                [
                    Problem(
                        f"{META_SHEET} (sheet)",
                        "missing: not a Puente capacity questionnaire",
                        "start from 'puente capacity template'",
                    )
                ],
            )
        meta = {
            _text(r[0]): r[1]
            for r in wb[META_SHEET].iter_rows(max_col=2, values_only=True)
            if r and r[0] is not None
        }
        if _text(meta.get("kind")) != KIND:
            c.add(f"{META_SHEET}!B1", "not a Puente capacity questionnaire")
        version = _text(meta.get("template_version"))
        if version != items.template_version:
            c.add(
                f"{META_SHEET}!B2",
                f"questionnaire from template version {version or '(none)'!r}; the current "
                f"version is {items.template_version!r}",
                "copy the answers into a new 'puente capacity template'",
            )
        qlang = _text(meta.get("lang"))
        if qlang not in LANGS:
            c.add(f"{META_SHEET}!B3", f"unknown language {qlang!r}", f"use {', '.join(LANGS)}")
            raise ValidationError(str(path), c.problems)
        if lang is not None and qlang != lang:
            c.add(f"{META_SHEET}!B3", f"questionnaire language is {qlang!r}, expected {lang!r}")
        lab = LABELS[qlang]
        for key in ("details", "assessment"):
            if lab[key] not in wb.sheetnames:
                c.add(
                    f"{lab[key]} (sheet)",
                    f"missing: the questionnaire says language {qlang!r} but has sheets "
                    f"{', '.join(s for s in wb.sheetnames if s != META_SHEET)}",
                    "the language of the sheets and of _puente must agree",
                )
        if c.problems and any("(sheet)" in p.where for p in c.problems):
            raise ValidationError(str(path), c.problems)
        assessment = _read_sheets(wb, lab, qlang, items, c, bool(meta.get("fictitious") == "yes"))
    finally:
        wb.close()
    if c.problems or assessment is None:
        raise ValidationError(str(path), c.problems)
    assessment = _with_source(assessment, str(path))
    validate(assessment, items, str(path))
    return assessment


def _with_source(a: Assessment, source: str) -> Assessment:
    from dataclasses import replace

    return replace(a, source=source)


def _read_sheets(
    wb: Any, lab: dict[str, Any], lang: str, items: ItemSet, c: _Collector, fictitious: bool
) -> Assessment | None:
    det = wb[lab["details"]]
    sheet = lab["details"]
    cells = {
        f"B{FIRST_FIELD_ROW + n}": row[0]
        for n, row in enumerate(
            det.iter_rows(
                min_row=FIRST_FIELD_ROW,
                max_row=FIRST_FIELD_ROW + 6,
                min_col=2,
                max_col=2,
                values_only=True,
            )
        )
    }

    def field(n: int) -> tuple[str, Any]:
        ref = f"B{FIRST_FIELD_ROW + n}"
        return f"{sheet}!{ref}", cells.get(ref)

    where, raw = field(0)
    country = _text(raw).upper()
    if not country:
        c.add(where, "missing country", f"use one of {', '.join(COUNTRIES)}")
    elif country not in COUNTRIES:
        c.add(where, f"unknown country {_text(raw)!r}", f"use one of {', '.join(COUNTRIES)}")
    where, raw = field(1)
    institution = _reverse(_CODES_INST, _text(raw)) if _text(raw) else None
    if not _text(raw):
        c.add(
            where,
            "missing institution",
            f"use {' or '.join(lab['institutions'][i] for i in INSTITUTIONS)}",
        )
    elif institution is None:
        c.add(
            where,
            f"unknown institution {_text(raw)!r}",
            f"use {' or '.join(lab['institutions'][i] for i in INSTITUTIONS)}",
        )
    inst_name = _text(field(2)[1])
    where, raw = field(3)
    assessed_on = _date(raw)
    if raw is None or _text(raw) == "":
        c.add(where, "missing date of assessment", "YYYY-MM-DD")
    elif assessed_on is None:
        c.add(where, f"not a date: {_text(raw)!r}", "YYYY-MM-DD")
    elif _in_the_future(assessed_on):
        c.add(where, f"date of assessment {assessed_on} is in the future", "date it when answered")
    respondent = _text(field(4)[1])

    ws = wb[lab["assessment"]]
    asheet = lab["assessment"]
    rows = list(ws.iter_rows(min_row=1, max_col=12, values_only=True))
    header = [_text(v) for v in (rows[0] if rows else ())]
    for n, expected in enumerate(lab["headers"]):
        got = header[n] if n < len(header) else ""
        if got != expected:
            col = "ABCDEFGHIJKL"[n]
            c.add(
                f"{asheet}!{col}1",
                f"header {got!r} is not the {lang!r} header {expected!r}",
                "the questionnaire's language and its headers must agree",
            )
    by_id: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for n, row in enumerate(rows[1:], start=2):
        item_id = _text(row[0]) if row else ""
        if not item_id:
            if any(_text(v) for v in row):
                c.add(f"{asheet}!A{n}", "answer row without an item ID")
            continue
        if item_id not in items.item_ids:
            c.add(f"{asheet}!A{n}", f"unknown item {item_id!r}")
            continue
        if item_id in by_id:
            c.add(
                f"{asheet}!A{n}",
                f"item {item_id!r} appears twice (first in row {by_id[item_id][0]})",
            )
            continue
        by_id[item_id] = (n, tuple(row) + (None,) * (12 - len(row)))
    answers = []
    for item in items.items:
        if item.id not in by_id:
            c.add(f"{asheet}!A", f"row for item {item.id!r} is missing")
            continue
        n, row = by_id[item.id]
        at = {
            "level": f"{asheet}!{COL_LEVEL}{n}",
            "evidence": f"{asheet}!{COL_EVIDENCE}{n}",
            "need0": f"{asheet}!{COL_NEED1}{n}",
            "need1": f"{asheet}!{COL_NEED2}{n}",
            "priority": f"{asheet}!{COL_PRIORITY}{n}",
        }
        ans = _answer(c, item.id, row[7], _text(row[8]), [row[9], row[10]], row[11], at, lab)
        if ans is not None:
            answers.append(ans)
    if c.problems or institution is None or assessed_on is None:
        return None
    return Assessment(
        country=country,
        institution=institution,
        assessed_on=assessed_on,
        template_version=items.template_version,
        lang=lang,
        answers=tuple(answers),
        institution_name=inst_name,
        respondent=respondent,
        fictitious=fictitious,
    )


def read_mapping(
    data: Any, source: str, *, items: ItemSet | None = None, lang: str | None = None
) -> Assessment:
    """Validate a YAML/JSON questionnaire already parsed; problems name the key."""
    items = items or load_items()
    c = _Collector([])
    if not isinstance(data, Mapping):
        raise FormatError(source, "expected a mapping at the top level")
    version = _text(data.get("template_version"))
    if version != items.template_version:
        c.add(
            "template_version",
            f"questionnaire from template version {version or '(none)'!r}; the current "
            f"version is {items.template_version!r}",
        )
    qlang = _text(data.get("lang"))
    if qlang not in LANGS:
        c.add("lang", f"unknown language {qlang!r}", f"use {', '.join(LANGS)}")
    elif lang is not None and qlang != lang:
        c.add("lang", f"questionnaire language is {qlang!r}, expected {lang!r}")
    country = _text(data.get("country")).upper()
    if not country:
        c.add("country", "missing country")
    elif country not in COUNTRIES:
        c.add(
            "country",
            f"unknown country {_text(data.get('country'))!r}",
            f"use one of {', '.join(COUNTRIES)}",
        )
    inst_text = _text(data.get("institution"))
    institution = _reverse(_CODES_INST, inst_text) if inst_text else None
    if institution is None:
        c.add(
            "institution",
            f"missing or unknown institution {inst_text!r}",
            "use police or prosecution",
        )
    assessed_on = _date(data.get("assessed_on"))
    if assessed_on is None:
        c.add(
            "assessed_on",
            f"missing or invalid date {_text(data.get('assessed_on'))!r}",
            "YYYY-MM-DD",
        )
    elif _in_the_future(assessed_on):
        c.add(
            "assessed_on",
            f"date of assessment {assessed_on} is in the future",
            "date it when answered",
        )
    raw_answers = data.get("answers")
    if not isinstance(raw_answers, Mapping):
        c.add("answers", "expected a mapping item id -> {level, evidence, needs, priority}")
        raw_answers = {}
    for key in raw_answers:
        if str(key) not in items.item_ids:
            c.add(f"answers.{key}", "unknown item")
    answers = []
    for item in items.items:
        raw = raw_answers.get(item.id)
        base = f"answers.{item.id}"
        if not isinstance(raw, Mapping):
            c.add(base, f"missing answer for {item.id}")
            continue
        needs = raw.get("needs") or []
        if isinstance(needs, str):
            needs = [needs]
        at = {
            "level": f"{base}.level",
            "evidence": f"{base}.evidence",
            "priority": f"{base}.priority",
        }
        at.update({f"need{n}": f"{base}.needs[{n}]" for n in range(len(needs))})
        ans = _answer(
            c,
            item.id,
            raw.get("level"),
            _text(raw.get("evidence")),
            list(needs),
            raw.get("priority"),
            at,
        )
        if ans is not None:
            answers.append(ans)
    if c.problems or institution is None or assessed_on is None:
        raise ValidationError(source, c.problems)
    assessment = Assessment(
        country=country,
        institution=institution,
        assessed_on=assessed_on,
        template_version=version,
        lang=qlang,
        answers=tuple(answers),
        institution_name=_text(data.get("institution_name")),
        respondent=_text(data.get("respondent")),
        fictitious=bool(data.get("fictitious", False)),
        source=source,
    )
    validate(assessment, items, source)
    return assessment


def to_mapping(a: Assessment) -> dict[str, Any]:
    """The YAML/JSON form of an assessment (what read_mapping accepts)."""
    out: dict[str, Any] = {
        "template_version": a.template_version,
        "lang": a.lang,
        "country": a.country,
        "institution": a.institution,
        "institution_name": a.institution_name,
        "assessed_on": a.assessed_on.isoformat(),
        "respondent": a.respondent,
    }
    if a.fictitious:
        out["fictitious"] = True
        out["note"] = FICTITIOUS
    out["answers"] = {
        ans.item_id: {
            "level": ans.level,
            "evidence": ans.evidence,
            "needs": list(ans.needs),
            "priority": ans.priority,
        }
        for ans in a.answers
    }
    return out


def read_questionnaire(
    path: Path, *, items: ItemSet | None = None, lang: str | None = None
) -> Assessment:
    """Read an XLSX, YAML or JSON questionnaire, chosen by extension; validates fully."""
    if lang is not None:
        _check_lang(lang)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix == ".xlsx":
        return read_xlsx(path, items=items, lang=lang)
    if suffix in (".yaml", ".yml", ".json"):
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(exc, "lineno", None)
            mark = getattr(exc, "problem_mark", None)
            if mark is not None:
                line = mark.line + 1
            # One line: the parser's problem, not its multi-line excerpt of the file.
            problem = getattr(exc, "problem", None) or getattr(exc, "msg", None) or str(exc)
            raise FormatError(str(path), f"cannot parse: {problem}", line) from None
        return read_mapping(data, str(path), items=items, lang=lang)
    raise UnknownFormat(
        f"{path}: unknown questionnaire format {suffix!r}: use .xlsx, .yaml or .json"
    )
