"""Load and validate the legal knowledge base from YAML packs.

Pack files carry ``kind: criteria | measures | instrument | country``. The bundled
packs live in ``legal/packs/``; a user can pass their own files or folders. Baseline
files (criteria, measures, instruments) a user does not supply come from the bundled
set, so a single corrected country pack validates on its own.

Validation is strict because every legal fact must be traceable: unknown keys, unknown
criterion ids or country codes, a missing citation/source/confidence on a status other
than ``unknown``, bad dates and duplicate ids are all reported, each naming the file and
the key, and all problems are collected before raising.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import yaml

from puente.errors import FormatError, Problem, ValidationError
from puente.legal.schema import (
    AREAS,
    CONFIDENCES,
    LANGS,
    STATUSES,
    Catalog,
    Confidence,
    CountryPack,
    Criterion,
    Finding,
    Instrument,
    Measure,
    Provision,
    Status,
    Texts,
)
from puente.network import COUNTRIES as COUNTRY_CODES

PACKS = Path(__file__).parent / "packs"
KINDS = ("criteria", "measures", "instrument", "country")
REQUEST_LANGS = ("es", "pt")
FINDING_OPTIONAL = (
    "citation",
    "summary",
    "summary_es",
    "summary_pt",
    "source",
    "as_of",
    "confidence",
    "note",
)


# -- YAML reading --------------------------------------------------------------------
class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line
        super().__init__(key)


# libyaml's parser when present (several times faster; packs are loaded on every command).
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PackLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps dates as text (parsed later with a clear error) and
    rejects duplicate mapping keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key)
        return cast("dict[Any, Any]", super().construct_mapping(node, deep=deep))


_PackLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeBase.yaml_implicit_resolvers.items()
}


def read_pack(path: Path) -> dict[str, Any]:
    """Parse one pack file; FormatError (file:line) on YAML errors or duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(str(path), f"cannot read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(str(path), f"not UTF-8 text: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_PackLoader)  # a SafeLoader subclass
    except _DuplicateKey as exc:
        raise FormatError(str(path), f"duplicate key {exc.key!r}", exc.line) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise FormatError(str(path), f"invalid YAML: {problem}", line) from exc
    if not isinstance(data, dict):
        raise FormatError(str(path), "a pack must be a YAML mapping with a 'kind' key")
    return data


# -- field checks ----------------------------------------------------------------------
class _Checker:
    """Collects problems for one file; every check names the key path."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, key: str, what: str, fix: str = "") -> None:
        self.problems.append(Problem(f"{self.file}: {key}", what, fix))

    def mapping(self, value: Any, key: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(key, f"must be a mapping, got {type(value).__name__}")
            return None
        return value

    def keys(
        self, value: dict[str, Any], key: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        req, opt = tuple(required), tuple(optional)
        prefix = f"{key}." if key else ""
        for k in value:
            if k not in req and k not in opt:
                self.add(f"{prefix}{k}", "unknown key", f"allowed: {', '.join(req + opt)}")
        for k in req:
            if k not in value or value[k] is None:
                self.add(f"{prefix}{k}", "missing")

    def text(self, value: Any, key: str, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.add(key, "missing")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(key, f"must be text, got {type(value).__name__}")
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.add(key, "must not be empty")
            return None
        return text

    def texts(self, value: Any, key: str) -> Texts | None:
        m = self.mapping(value, key)
        if m is None:
            return None
        self.keys(m, key, LANGS, ())
        parts = [self.text(m.get(lang), f"{key}.{lang}") for lang in LANGS]
        if any(p is None for p in parts):
            return None
        return Texts(*cast("list[str]", parts))

    def translations(self, m: dict[str, Any], key: str, field: str, en: str | None) -> Texts | None:
        """Optional ``<field>_es`` and ``<field>_pt`` next to the English ``<field>``:
        both or neither, and never without the English text they translate."""
        es = self.text(m.get(f"{field}_es"), f"{key}.{field}_es", required=False)
        pt = self.text(m.get(f"{field}_pt"), f"{key}.{field}_pt", required=False)
        if es is None and pt is None:
            return None
        prefix = f"{key}." if key else ""
        if en is None:
            self.add(f"{prefix}{field}", "missing", f"{field}_es/{field}_pt translate it")
            return None
        if es is None or pt is None:
            gone = f"{field}_es" if es is None else f"{field}_pt"
            self.add(f"{prefix}{gone}", "missing", f"give {field}_es and {field}_pt together")
            return None
        return Texts(es, pt, en)

    def date(self, value: Any, key: str, *, required: bool = True) -> date | None:
        if value is None:
            if required:
                self.add(key, "missing", "use an ISO date, e.g. 2025-06-30")
            return None
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            self.add(key, f"bad date {value!r}", "use an ISO date YYYY-MM-DD")
            return None
        if parsed > date.today() + timedelta(days=1):
            self.add(key, f"date {parsed.isoformat()} is in the future")
            return None
        return parsed

    def choice(self, value: Any, key: str, allowed: Sequence[str]) -> str | None:
        if value is None:
            self.add(key, "missing", f"one of {', '.join(allowed)}")
            return None
        if str(value) not in allowed:
            self.add(key, f"{value!r} is not allowed", f"one of {', '.join(allowed)}")
            return None
        return str(value)

    def str_list(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add(key, "must be a list")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            t = self.text(item, f"{key}[{i}]")
            if t is not None:
                out.append(t)
        return tuple(out)


# -- per-kind parsing ---------------------------------------------------------------------
@dataclass
class _Parsed:
    criteria: list[Criterion]
    area_titles: dict[str, Texts]
    instruments: list[Instrument]
    measures: list[Measure]
    packs: list[CountryPack]
    present: dict[str, tuple[str, set[str]]]  # country -> (file, criterion keys in the pack)
    files: dict[str, str]  # kind -> display name of the file it came from


def _parse_criteria(data: dict[str, Any], c: _Checker, out: _Parsed) -> None:
    c.keys(data, "", ("kind", "criteria"), ("version", "areas", "note"))
    areas = data.get("areas") or {}
    if c.mapping(areas, "areas") is not None:
        for area, titles in areas.items():
            if area not in AREAS:
                c.add(f"areas.{area}", "unknown area", f"one of {', '.join(AREAS)}")
                continue
            t = c.texts(titles, f"areas.{area}")
            if t is not None:
                out.area_titles[area] = t
    items = data.get("criteria")
    if not isinstance(items, list):
        if items is not None:
            c.add("criteria", "must be a list of criteria")
        return
    seen: set[str] = set()
    for i, item in enumerate(items):
        m = c.mapping(item, f"criteria[{i}]")
        if m is None:
            continue
        cid = c.text(m.get("id"), f"criteria[{i}].id")
        key = f"criteria.{cid}" if cid else f"criteria[{i}]"
        c.keys(m, key, ("id", "area", "title", "baseline"), ("instrument", "note"))
        if cid in seen:
            c.add(f"{key}.id", f"duplicate id {cid!r}")
            continue
        area = c.choice(m.get("area"), f"{key}.area", AREAS)
        title = c.texts(m.get("title"), f"{key}.title")
        baseline = c.str_list(m.get("baseline"), f"{key}.baseline")
        instrument = c.text(m.get("instrument"), f"{key}.instrument", required=False)
        if cid and area and title:
            seen.add(cid)
            out.criteria.append(Criterion(cid, area, title, baseline, instrument))


def _parse_instrument(data: dict[str, Any], c: _Checker, out: _Parsed) -> None:
    c.keys(
        data,
        "",
        ("kind", "id", "short", "name", "reference", "source", "as_of", "confidence"),
        ("summary", "provisions", "note", "short_es", "short_pt"),
    )
    iid = c.text(data.get("id"), "id")
    short = c.text(data.get("short"), "short")
    shorts = c.translations(data, "", "short", short)
    name = c.texts(data.get("name"), "name")
    reference = c.text(data.get("reference"), "reference")
    source = c.text(data.get("source"), "source")
    as_of = c.date(data.get("as_of"), "as_of")
    conf = c.choice(data.get("confidence"), "confidence", CONFIDENCES)
    summary = c.text(data.get("summary"), "summary", required=False) or ""
    provisions: list[Provision] = []
    seen: set[str] = set()
    items = data.get("provisions") or []
    if not isinstance(items, list):
        c.add("provisions", "must be a list")
        items = []
    for i, item in enumerate(items):
        m = c.mapping(item, f"provisions[{i}]")
        if m is None:
            continue
        art = c.text(m.get("article"), f"provisions[{i}].article")
        key = f"provisions.{art}" if art else f"provisions[{i}]"
        c.keys(
            m,
            key,
            ("article", "title", "summary", "source", "confidence"),
            ("as_of", "options", "label", "label_es", "label_pt", "note"),
        )
        if art in seen:
            c.add(f"{key}.article", f"duplicate id {art!r}")
            continue
        ptitle = c.text(m.get("title"), f"{key}.title")
        psum = c.text(m.get("summary"), f"{key}.summary")
        psrc = c.text(m.get("source"), f"{key}.source")
        pdate = c.date(m.get("as_of"), f"{key}.as_of") if "as_of" in m else as_of
        pconf = c.choice(m.get("confidence"), f"{key}.confidence", CONFIDENCES)
        options = c.str_list(m.get("options"), f"{key}.options")
        label = c.text(m.get("label"), f"{key}.label", required=False) or ""
        labels = c.translations(m, key, "label", label or None)
        if iid and art and ptitle and psum and psrc and pdate and pconf:
            seen.add(art)
            provisions.append(
                Provision(
                    f"{iid}:{art}",
                    iid,
                    art,
                    ptitle,
                    psum,
                    psrc,
                    pdate,
                    cast("Confidence", pconf),
                    options,
                    label,
                    labels,
                )
            )
    if iid and short and name and reference and source and as_of and conf:
        if any(inst.id == iid for inst in out.instruments):
            c.add("id", f"duplicate id {iid!r}: another instrument pack has it")
            return
        out.instruments.append(
            Instrument(
                iid,
                short,
                name,
                reference,
                source,
                as_of,
                cast("Confidence", conf),
                summary,
                tuple(provisions),
                shorts,
            )
        )


def _parse_measures(data: dict[str, Any], c: _Checker, out: _Parsed) -> None:
    c.keys(data, "", ("kind", "measures"), ("version", "note"))
    items = data.get("measures")
    if not isinstance(items, list):
        if items is not None:
            c.add("measures", "must be a list of measures")
        return
    seen = {m.id for m in out.measures}
    for i, item in enumerate(items):
        m = c.mapping(item, f"measures[{i}]")
        if m is None:
            continue
        mid = c.text(m.get("id"), f"measures[{i}].id")
        key = f"measures.{mid}" if mid else f"measures[{i}]"
        c.keys(m, key, ("id", "criterion", "model", "text"), ("note",))
        if mid in seen:
            c.add(f"{key}.id", f"duplicate id {mid!r}")
            continue
        crit = c.text(m.get("criterion"), f"{key}.criterion")
        model = c.str_list(m.get("model"), f"{key}.model")
        if not model:
            c.add(f"{key}.model", "missing", "cite at least one model provision")
        text = c.texts(m.get("text"), f"{key}.text")
        if mid and crit and model and text:
            seen.add(mid)
            out.measures.append(Measure(mid, crit, model, text))


def _parse_country(data: dict[str, Any], c: _Checker, out: _Parsed) -> None:
    c.keys(data, "", ("kind", "country", "name", "languages", "as_of", "criteria"), ("note",))
    code_raw = data.get("country")
    code: str | None = None
    if code_raw is None:
        c.add("country", "missing")
    elif str(code_raw) not in COUNTRY_CODES:
        c.add(
            "country",
            f"unknown country code {code_raw!r}",
            f"one of {', '.join(COUNTRY_CODES)}",
        )
    else:
        code = str(code_raw)
    name = c.texts(data.get("name"), "name")
    languages = c.str_list(data.get("languages"), "languages")
    for i, lang in enumerate(languages):
        if lang not in REQUEST_LANGS:
            c.add(f"languages[{i}]", f"{lang!r} is not allowed", "es or pt")
    pack_date = c.date(data.get("as_of"), "as_of")
    note = c.text(data.get("note"), "note", required=False)
    crits = data.get("criteria")
    findings: list[Finding] = []
    if crits is not None and c.mapping(crits, "criteria") is not None:
        # Keyed by file when the code is bad, so criterion ids are still checked.
        where = code or f"?{c.file}"
        if where not in out.present:
            out.present[where] = (c.file, {str(k) for k in crits})
        for cid, entry in crits.items():
            f = _parse_finding(str(cid), entry, c, code or "??", pack_date)
            if f is not None:
                findings.append(f)
    if code and name and pack_date and languages:
        if any(p.code == code for p in out.packs):
            c.add("country", f"duplicate id {code!r}: another country pack has it")
            return
        out.packs.append(
            CountryPack(code, name, languages, pack_date, tuple(findings), c.file, note)
        )


def _parse_finding(
    cid: str, entry: Any, c: _Checker, code: str, pack_date: date | None
) -> Finding | None:
    key = f"criteria.{cid}"
    m = c.mapping(entry, key)
    if m is None:
        return None
    c.keys(m, key, ("status",), FINDING_OPTIONAL)
    status = c.choice(m.get("status"), f"{key}.status", STATUSES)
    known = status is not None and status != "unknown"
    fix = "required unless status is unknown"
    citation = c.text(m.get("citation"), f"{key}.citation", required=False)
    source = c.text(m.get("source"), f"{key}.source", required=False)
    conf_raw = m.get("confidence")
    conf: str | None = None
    if conf_raw is not None:
        conf = c.choice(conf_raw, f"{key}.confidence", CONFIDENCES)
    if known:
        for field_name, value in (("citation", citation), ("source", source)):
            raw = m.get(field_name)
            if value is None and raw is None:
                c.add(f"{key}.{field_name}", "missing", fix)
            elif value is None and isinstance(raw, str):
                # An empty text is as good as none; the finding must not vanish silently.
                c.add(f"{key}.{field_name}", "must not be empty", fix)
        if conf_raw is None:
            c.add(f"{key}.confidence", "missing", f"{fix}; one of H, M, L")
    as_of = c.date(m.get("as_of"), f"{key}.as_of") if "as_of" in m else pack_date
    summary = c.text(m.get("summary"), f"{key}.summary", required=False) or ""
    summary_es = c.text(m.get("summary_es"), f"{key}.summary_es", required=False) or ""
    summary_pt = c.text(m.get("summary_pt"), f"{key}.summary_pt", required=False) or ""
    if (summary_es or summary_pt) and not summary:
        # The English summary is the reference every translation is checked against.
        c.add(f"{key}.summary", "missing", "summary_es/summary_pt translate the English summary")
    note = c.text(m.get("note"), f"{key}.note", required=False)
    if status is None or as_of is None:
        return None
    if known and (citation is None or source is None or conf is None):
        return None
    return Finding(
        code,
        cid,
        cast("Status", status),
        citation,
        summary,
        source,
        as_of,
        cast("Confidence | None", conf),
        note,
        summary_es,
        summary_pt,
    )


_PARSERS = {
    "criteria": _parse_criteria,
    "instrument": _parse_instrument,
    "measures": _parse_measures,
    "country": _parse_country,
}


# -- public API -------------------------------------------------------------------------------
def bundled_files() -> list[Path]:
    """The bundled pack files: criteria, measures, instruments, then countries."""
    files = [PACKS / "criteria.yaml", PACKS / "measures.yaml"]
    files += sorted((PACKS / "instruments").glob("*.yaml"))
    files += sorted((PACKS / "countries").glob("*.yaml"))
    return [f for f in files if f.is_file()]


def _expand(paths: Sequence[Path]) -> list[Path]:
    from puente.errors import InputError

    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml"))
            if not found:
                raise InputError(f"{p}: no pack files (*.yaml, *.yml) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such pack file or folder")
    return files


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def collect(paths: Sequence[Path] | None = None) -> tuple[Catalog | None, list[Problem]]:
    """Read and check packs; return the catalog (None when there are problems) and
    every problem found. FormatError (broken YAML, duplicate key) is raised at once."""
    files = bundled_files() if paths is None else _expand(paths)
    problems: list[Problem] = []
    out = _Parsed([], {}, [], [], [], {}, {})
    user_kinds: set[str] = set()
    raw: list[tuple[Path, dict[str, Any]]] = [(f, read_pack(f)) for f in files]
    for _, data in raw:
        user_kinds.add(str(data.get("kind")))
    if paths is not None:
        # Baseline files the user did not supply come from the bundled set.
        for f in bundled_files():
            if f.parent.name == "countries":
                continue
            base_kind = "instrument" if f.parent.name == "instruments" else f.stem
            if base_kind not in user_kinds:
                raw.append((f, read_pack(f)))
    for f, data in raw:
        c = _Checker(_display(f), problems)
        kind = str(data.get("kind"))
        if kind not in KINDS:
            what = "missing" if data.get("kind") is None else f"{data['kind']!r} is not a pack kind"
            c.add("kind", what, f"one of {', '.join(KINDS)}")
            continue
        out.files.setdefault(str(kind), c.file)
        _PARSERS[str(kind)](data, c, out)
    _cross_check(out, problems)
    if problems:
        return None, problems
    order = {code: i for i, code in enumerate(COUNTRY_CODES)}
    crit_order = {cr.id: i for i, cr in enumerate(out.criteria)}
    packs = []
    for pack in sorted(out.packs, key=lambda p: order[p.code]):
        findings = tuple(sorted(pack.findings, key=lambda f: crit_order[f.criterion_id]))
        packs.append(
            CountryPack(
                pack.code,
                pack.name,
                pack.languages,
                pack.as_of,
                findings,
                pack.source_file,
                pack.note,
            )
        )
    catalog = Catalog(
        tuple(out.criteria),
        tuple(out.instruments),
        tuple(out.measures),
        tuple(packs),
        dict(out.area_titles),
    )
    return catalog, problems


def _cross_check(out: _Parsed, problems: list[Problem]) -> None:
    crit_ids = {cr.id for cr in out.criteria}
    inst_ids = {i.id for i in out.instruments}
    refs = {p.ref for i in out.instruments for p in i.provisions}
    criteria_file = out.files.get("criteria", "criteria")
    measures_file = out.files.get("measures", "measures")
    if not out.criteria:
        problems.append(Problem("criteria", "no criteria pack loaded"))
    for cr in out.criteria:
        for ref in cr.baseline:
            if ref not in refs:
                problems.append(
                    Problem(
                        f"{criteria_file}: criteria.{cr.id}.baseline",
                        f"unknown provision {ref!r}",
                        "refs are <instrument>:<article> of a loaded instrument pack",
                    )
                )
        if cr.instrument and cr.instrument not in inst_ids:
            problems.append(
                Problem(
                    f"{criteria_file}: criteria.{cr.id}.instrument",
                    f"unknown instrument {cr.instrument!r}",
                )
            )
    for m in out.measures:
        if m.criterion_id not in crit_ids:
            problems.append(
                Problem(
                    f"{measures_file}: measures.{m.id}.criterion",
                    f"unknown criterion id {m.criterion_id!r}",
                )
            )
        for ref in m.model:
            if ref not in refs:
                problems.append(
                    Problem(f"{measures_file}: measures.{m.id}.model", f"unknown provision {ref!r}")
                )
    if not out.criteria:
        return
    for _code, (file, present) in out.present.items():
        for cid in sorted(present - crit_ids):
            problems.append(
                Problem(
                    f"{file}: criteria.{cid}",
                    f"unknown criterion id {cid!r}",
                    "see legal/packs/criteria.yaml for the ids",
                )
            )
        for cr in out.criteria:
            if cr.id not in present:
                problems.append(
                    Problem(
                        f"{file}: criteria.{cr.id}",
                        "missing: every criterion needs a status",
                        "add it, with status: unknown if not yet researched",
                    )
                )


def load_catalog(paths: Sequence[Path] | None = None) -> Catalog:
    """Load and validate packs (None = the bundled packs); ValidationError lists every
    problem, each naming the file and the key."""
    catalog, problems = collect(paths)
    if problems or catalog is None:
        files = "bundled legal packs" if paths is None else ", ".join(str(p) for p in paths)
        raise ValidationError(files, problems)
    return catalog
