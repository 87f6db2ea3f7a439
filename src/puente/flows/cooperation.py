"""Cooperation use cases: draft, store and track requests; render the harmonised procedure.

Order of work in ``draft_request``: every input is checked and the whole draft validated
before anything is written; the documents are written to a temporary folder, then the
request and its custody entry are stored in one transaction, then the documents are moved
into place. A failure at any step leaves no request row and no document behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from puente import __version__
from puente.drafting.channels import load_channels
from puente.drafting.facts import parse_facts
from puente.drafting.knowledge import KnowledgeBase, legal_context
from puente.drafting.model import DRAFT_LANGS, CaseFacts, Draft, RequestType
from puente.drafting.procedure import (
    ChecklistItem,
    ProcedureKnowledge,
    checklist,
    load_procedure,
    render_procedure,
)
from puente.drafting.render import render
from puente.drafting.tracking import TrackedRequest, check_status, lapsed
from puente.drafting.validation import check_country, check_type, prepare
from puente.errors import FormatError, InputError, Problem
from puente.gaps.basis import conduct_criterion
from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog
from puente.network import COUNTRIES
from puente.report.documents import messages
from puente.report.requests import FORMATS, write, write_all
from puente.store.cases import CaseStore
from puente.store.requests import RequestStore


@dataclass(frozen=True)
class Drafted:
    request: TrackedRequest
    draft: Draft
    documents: tuple[Path, ...]


def read_facts(path: Path | None) -> Any:
    """The facts YAML as data; a missing or malformed file is a clear input error."""
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"facts file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"facts file {str(path)!r} cannot be read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = f"invalid YAML: {getattr(exc, 'problem', exc)}"
        raise FormatError(str(path), problem, line) from None
    # Not a mapping: one clear line, not every field reported missing on top of it.
    if raw is not None and not isinstance(raw, dict):
        raise FormatError(
            str(path),
            f"must be a YAML mapping of fields, not a {type(raw).__name__} "
            "(start from 'puente request example'; fields: docs/cooperation.md)",
        )
    return raw


def default_knowledge_base() -> Catalog:
    return load_catalog()


def _json_ready(raw: Any) -> Any:
    if isinstance(raw, Mapping):
        return {str(k): _json_ready(v) for k, v in raw.items()}
    if isinstance(raw, list | tuple):
        return [_json_ready(v) for v in raw]
    if isinstance(raw, datetime):
        return raw.isoformat()
    if raw is None or isinstance(raw, str | int | float | bool):
        return raw
    return str(raw)


def _footer(lang: str) -> str:
    return messages("drafting", lang)["generated_by"].format(version=__version__)


def draft_request(
    engine: Engine,
    case_id: int,
    kind: str,
    frm: str,
    to: str,
    *,
    operator: str,
    output_dir: Path,
    lang: str | None = None,
    facts_raw: Any = None,
    knowledge: KnowledgeBase | None = None,
    formats: Sequence[str] = ("docx", "pdf"),
    now: datetime | None = None,
) -> Drafted:
    request_type = check_type(kind)
    requesting = check_country(frm, "requesting (--from)")
    requested = check_country(to, "requested (--to)")
    if lang and lang not in DRAFT_LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(DRAFT_LANGS)}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    at = now or datetime.now(UTC)
    case = CaseStore(engine).get_case(case_id)
    facts, parse_problems = parse_facts(facts_raw, "facts")
    if facts.offence.conduct:
        # Plain names ("possession") map to knowledge-base criteria ("off.possession").
        try:
            conduct = conduct_criterion(facts.offence.conduct)
            facts = replace(facts, offence=replace(facts.offence, conduct=conduct))
        except InputError as exc:
            parse_problems.append(
                Problem("offence.conduct", str(exc), "use an off.* criterion id or a name listed")
            )
    kb = knowledge if knowledge is not None else default_knowledge_base()
    language = lang or None
    legal = legal_context(
        kb,
        requesting,
        requested,
        facts.offence.conduct,
        load_channels(),
        language or ("pt" if requested == "BR" else "es"),
    )
    draft = render(
        prepare(
            request_type,
            CaseFacts(case.id, case.title, case.country, case.agency, case.reference or ""),
            facts,
            legal,
            lang=language,
            now=at,
            parse_problems=parse_problems,
        )
    )
    digest = hashlib.sha256(draft.text.encode("utf-8")).hexdigest()
    stem = f"case{case.id}-{request_type.value}-{requesting}-{requested}-{at:%Y%m%dT%H%M%SZ}"
    finals = [output_dir / f"{stem}.{fmt}" for fmt in formats]
    clash = [str(p) for p in finals if p.exists()]
    if clash:
        raise InputError(f"would overwrite {', '.join(clash)}: choose another --output-dir")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".puente-draft-", dir=output_dir))
    except OSError as exc:
        raise InputError(f"cannot write to {str(output_dir)!r}: {exc.strerror or exc}") from None
    try:
        try:
            written = write_all(
                draft.text, staging, stem, draft.lang, formats, footer=_footer(draft.lang)
            )
        except OSError as exc:
            raise InputError(
                f"cannot write to {str(output_dir)!r}: {exc.strerror or exc}"
            ) from None
        stored = RequestStore(engine).create(
            case_id=case.id,
            kind=request_type,
            requesting_country=requesting,
            requested_country=requested,
            lang=draft.lang,
            created_at=at,
            preservation_days=(
                facts.preservation_days if request_type is RequestType.PRESERVATION else None
            ),
            related=facts.renewal_of or facts.related_request,
            facts=_json_ready(facts_raw or {}),
            draft_text=draft.text,
            draft_sha256=digest,
            documents=[str(p) for p in finals],
            warnings=list(draft.warnings),
            operator=operator,
        )
        for source, final in zip(written, finals, strict=True):
            os.replace(source, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Drafted(stored, draft, tuple(finals))


def list_requests(
    engine: Engine,
    *,
    due_days: int | None = None,
    case_id: int | None = None,
    now: datetime | None = None,
) -> list[tuple[TrackedRequest, bool]]:
    """Requests (optionally only those due within DAYS), each with whether it has lapsed."""
    at = now or datetime.now(UTC)
    store = RequestStore(engine)
    if due_days is not None:
        if due_days < 0:
            raise InputError("--due must be zero or more days")
        requests = [r for r in store.due(at, due_days) if case_id is None or r.case_id == case_id]
    else:
        requests = store.list_requests(case_id)
    return [(r, lapsed(r, at)) for r in requests]


def set_status(
    engine: Engine,
    request_id: int,
    status: str,
    *,
    operator: str,
    note: str = "",
    now: datetime | None = None,
) -> TrackedRequest:
    check_status(status)
    return RequestStore(engine).set_status(
        request_id, status, operator, now or datetime.now(UTC), note
    )


# -- harmonised procedure --------------------------------------------------------------


def render_procedure_document(
    country: str | None,
    lang: str,
    fmt: str,
    output: Path,
    *,
    knowledge: ProcedureKnowledge | None = None,
    today: date | None = None,
) -> Path:
    """One country's procedure, or the regional one (country None); written atomically."""
    if lang not in DRAFT_LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(DRAFT_LANGS)}")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    countries = list(COUNTRIES) if country is None else [check_country(country, "--country")]
    kb = knowledge if knowledge is not None else default_knowledge_base()
    text = render_procedure(
        load_procedure(), kb, countries, lang, generated=today or datetime.now(UTC).date()
    )
    # Written beside the target, then renamed: a failure never leaves half a document.
    tmp = output.parent / f".{output.name}.{os.getpid()}.tmp"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write(text, tmp, fmt, lang, footer=_footer(lang))
        os.replace(tmp, output)
    except OSError as exc:
        raise InputError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return output


def case_checklist(
    engine: Engine,
    case_id: int,
    lang: str,
    *,
    mark_done: str | None = None,
    operator: str = "",
) -> tuple[ChecklistItem, ...]:
    """The procedure's steps as done or pending for one case; marking a step is logged."""
    if lang not in DRAFT_LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(DRAFT_LANGS)}")
    cases = CaseStore(engine)
    cases.get_case(case_id)
    procedure = load_procedure()
    if mark_done is not None:
        step = procedure.step(mark_done)
        cases.append_custody(case_id, "checklist", {"step": step.id, "done": True}, operator)
    custody = cases.custody(case_id)
    marked = [
        str(e.details.get("step"))
        for e in custody
        if e.action == "checklist" and e.details.get("done") is True
    ]
    requests = [(r.id, r.type, r.status) for r in RequestStore(engine).list_requests(case_id)]
    return checklist(procedure, (e.action for e in custody), requests, marked, lang)
