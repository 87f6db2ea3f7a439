"""The harmonised procedure (data: packs/procedure.yaml), per country or regional, and the
checklist of one case.

Legal references are resolved against the knowledge base for each country: a criterion's
finding gives the citation, or stays unknown. Time limits point at instrument provisions,
so each carries the catalog's citation, source, as-of date and confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from puente.drafting.knowledge import to_fact
from puente.drafting.model import DRAFT_LANGS, LegalFact, RequestType
from puente.drafting.render import environment
from puente.errors import FormatError, NotFound, UnknownCountry
from puente.network import COUNTRIES

PACK = Path(__file__).parent / "packs" / "procedure.yaml"
DONE_STATUSES = frozenset({"sent", "acknowledged", "executed"})


@dataclass(frozen=True)
class TimeLimit:
    provision: str  # "<instrument>:<article>" in the legal catalog
    text: Mapping[str, str]


@dataclass(frozen=True)
class Step:
    id: str
    title: Mapping[str, str]
    role: Mapping[str, str]
    action: Mapping[str, str]
    criteria: tuple[str, ...]
    time_limits: tuple[TimeLimit, ...]
    command: str
    requests: tuple[RequestType, ...]
    done_custody: tuple[str, ...] = ()
    done_requests: tuple[RequestType, ...] = ()
    marked: bool = False
    # The request statuses that complete the step: asking for preservation is the step
    # itself (sent), identifying a subscriber needs the answer (executed).
    done_statuses: frozenset[str] = DONE_STATUSES


@dataclass(frozen=True)
class Procedure:
    as_of: date
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise NotFound(
            f"unknown procedure step {step_id!r}: use one of {', '.join(s.id for s in self.steps)}"
        )


def _texts(raw: Any, where: str, source: str) -> dict[str, str]:
    if not isinstance(raw, Mapping) or any(
        not str(raw.get(lang, "")).strip() for lang in DRAFT_LANGS
    ):
        raise FormatError(source, f"{where}: needs es, pt and en texts")
    return {lang: str(raw[lang]).strip() for lang in DRAFT_LANGS}


def _statuses(raw: Any, where: str, source: str) -> frozenset[str]:
    if raw is None:
        return DONE_STATUSES
    values = frozenset(str(v) for v in raw) if isinstance(raw, list) else frozenset()
    if not values or not values <= DONE_STATUSES:
        raise FormatError(
            source, f"{where}.statuses: use a list of {', '.join(sorted(DONE_STATUSES))}"
        )
    return values


def _types(raw: Any, where: str, source: str) -> tuple[RequestType, ...]:
    try:
        return tuple(RequestType(str(v)) for v in raw or ())
    except ValueError as exc:
        raise FormatError(source, f"{where}: {exc}") from None


def parse_procedure(data: Any, source: str) -> Procedure:
    if not isinstance(data, Mapping) or data.get("kind") != "procedure":
        raise FormatError(source, "not a procedure pack (kind: procedure)")
    steps: list[Step] = []
    for i, raw in enumerate(data.get("steps") or ()):
        where = f"steps[{i}]"
        if not isinstance(raw, Mapping) or not raw.get("id"):
            raise FormatError(source, f"{where}: needs an id")
        done = raw.get("done_when") or {}
        steps.append(
            Step(
                id=str(raw["id"]),
                title=_texts(raw.get("title"), f"{where}.title", source),
                role=_texts(raw.get("role"), f"{where}.role", source),
                action=_texts(raw.get("action"), f"{where}.action", source),
                criteria=tuple(str(c) for c in raw.get("criteria") or ()),
                time_limits=tuple(
                    TimeLimit(
                        str(t["provision"]),
                        _texts(t.get("text"), f"{where}.time_limits[{j}]", source),
                    )
                    for j, t in enumerate(raw.get("time_limits") or ())
                ),
                command=str(raw.get("command", "")),
                requests=_types(raw.get("requests"), f"{where}.requests", source),
                done_custody=tuple(str(a) for a in done.get("custody") or ()),
                done_requests=_types(done.get("requests"), f"{where}.done_when", source),
                marked=bool(done.get("marked", False)),
                done_statuses=_statuses(done.get("statuses"), f"{where}.done_when", source),
            )
        )
    ids = [s.id for s in steps]
    if not steps or len(set(ids)) != len(ids):
        raise FormatError(source, "steps: must be a non-empty list with unique ids")
    as_of = data.get("as_of")
    if not isinstance(as_of, date):
        raise FormatError(source, "as_of: must be a date")
    return Procedure(as_of, tuple(steps))


@cache
def load_procedure(path: Path = PACK) -> Procedure:
    return parse_procedure(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


class ProcedureKnowledge(Protocol):
    """What the procedure needs from the legal catalog (puente.legal Catalog has it)."""

    def finding(self, country: str, criterion_id: str) -> Any: ...

    def country_name(self, code: str, lang: str) -> str: ...

    def criterion(self, criterion_id: str) -> Any: ...

    def provision(self, ref: str) -> Any: ...

    def cite(self, ref: str) -> str: ...


@dataclass(frozen=True)
class CitedLimit:
    text: str
    citation: str
    source: str
    as_of: str
    confidence: str


@dataclass(frozen=True)
class Basis:
    criterion_id: str
    title: str
    fact: LegalFact


@dataclass(frozen=True)
class ResolvedStep:
    number: int
    step: Step
    title: str
    role: str
    action: str
    limits: tuple[CitedLimit, ...]
    basis: tuple[tuple[str, str, tuple[Basis, ...]], ...]  # (country, name, criteria)


def _criterion_title(kb: ProcedureKnowledge, criterion_id: str, lang: str) -> str:
    try:
        return str(kb.criterion(criterion_id).title.get(lang))
    except (LookupError, NotFound, AttributeError):
        return criterion_id


def _fact(kb: ProcedureKnowledge, country: str, criterion_id: str) -> LegalFact:
    try:
        finding = kb.finding(country, criterion_id)
    except (LookupError, NotFound, UnknownCountry):
        finding = None
    return to_fact(finding, country, criterion_id)


def _limit(kb: ProcedureKnowledge, limit: TimeLimit, lang: str) -> CitedLimit:
    try:
        prov = kb.provision(limit.provision)
        as_of = getattr(prov, "as_of", None)
        return CitedLimit(
            limit.text[lang],
            kb.cite(limit.provision),
            str(getattr(prov, "source", "") or ""),
            as_of.isoformat() if isinstance(as_of, date) else "",
            str(getattr(prov, "confidence", "") or ""),
        )
    except (LookupError, NotFound):
        return CitedLimit(limit.text[lang], "", "", "", "")


def resolve(
    procedure: Procedure, kb: ProcedureKnowledge, countries: Sequence[str], lang: str
) -> tuple[ResolvedStep, ...]:
    for code in countries:
        if code not in COUNTRIES:
            raise UnknownCountry(f"unknown country {code!r}: use one of {', '.join(COUNTRIES)}")
    out: list[ResolvedStep] = []
    for number, step in enumerate(procedure.steps, start=1):
        basis = []
        for code in countries:
            try:
                name = kb.country_name(code, lang)
            except (LookupError, NotFound, UnknownCountry):
                name = code
            basis.append(
                (
                    code,
                    name,
                    tuple(
                        Basis(c, _criterion_title(kb, c, lang), _fact(kb, code, c))
                        for c in step.criteria
                    ),
                )
            )
        out.append(
            ResolvedStep(
                number,
                step,
                step.title[lang],
                step.role[lang],
                step.action[lang],
                tuple(_limit(kb, t, lang) for t in step.time_limits),
                tuple(basis),
            )
        )
    return tuple(out)


def render_procedure(
    procedure: Procedure,
    kb: ProcedureKnowledge,
    countries: Sequence[str],
    lang: str,
    *,
    generated: date,
) -> str:
    """The procedure as structured text (see drafting.render) for one or all countries."""
    if lang not in DRAFT_LANGS:
        raise FormatError("--lang", f"unknown language {lang!r}")
    steps = resolve(procedure, kb, countries, lang)
    regional = len(countries) > 1
    names = [name for _, name, _ in steps[0].basis] if steps else []
    text = (
        environment()
        .get_template(f"procedure.{lang}.j2")
        .render(
            steps=steps,
            regional=regional,
            country_names=names,
            as_of=procedure.as_of.isoformat(),
            generated=generated.isoformat(),
        )
    )
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


# The checklist's evidence column in the operator's language (codes stay as typed).
EVIDENCE_WORDS: dict[str, dict[str, str]] = {
    "es": {
        "custody": "registro de custodia",
        "request": "solicitud",
        "sent": "enviada",
        "acknowledged": "acuse de recibo",
        "executed": "ejecutada",
        "marked": "marcado como hecho",
    },
    "pt": {
        "custody": "registro de custódia",
        "request": "pedido",
        "sent": "enviado",
        "acknowledged": "recebimento confirmado",
        "executed": "executado",
        "marked": "marcado como feito",
    },
    "en": {
        "custody": "custody",
        "request": "request",
        "sent": "sent",
        "acknowledged": "acknowledged",
        "executed": "executed",
        "marked": "marked done",
    },
}


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    step_id: str
    title: str
    done: bool
    evidence: str  # what shows it done ("" while pending)
    command: str  # the Puente command that supports the step


def checklist(
    procedure: Procedure,
    custody_actions: Iterable[str],
    requests: Iterable[tuple[int, RequestType, str]],
    marked: Iterable[str],
    lang: str,
) -> tuple[ChecklistItem, ...]:
    """Each step done or pending for a case, from its custody log, requests and marks."""
    actions = set(custody_actions)
    marks = set(marked)
    reqs = list(requests)
    items = []
    for number, step in enumerate(procedure.steps, start=1):
        words = EVIDENCE_WORDS.get(lang, EVIDENCE_WORDS["en"])
        evidence = ""
        hit = sorted(actions & set(step.done_custody))
        if hit:
            evidence = f"{words['custody']}: " + ", ".join(hit)
        matching = [
            f"{words['request']} {rid} {kind.value} ({words.get(status, status)})"
            for rid, kind, status in reqs
            if kind in step.done_requests and status in step.done_statuses
        ]
        if matching:
            evidence = "; ".join(matching)
        if step.id in marks:
            evidence = evidence or words["marked"]
        items.append(
            ChecklistItem(
                number,
                step.id,
                step.title[lang],
                bool(evidence),
                evidence,
                step.command,
            )
        )
    return tuple(items)
