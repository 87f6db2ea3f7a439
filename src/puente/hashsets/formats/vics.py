"""Project VIC VICS JSON: 1.2/1.3 (``odata.metadata``) and 2.0 (``@odata.context`` + region).

Read liberally (formats-ecosystem.md §1): UTF-8 byte-order mark, booleans as strings,
uppercase hex, Category as int, string or null, PhotoDNA at top level (2.0) or in
AlternativeHashes (1.x), SHA-256, PDQ and vPDQ in AlternativeHashes, hash sets (``#Media``)
and case exports (``#Cases`` with Media inside each case). Written as distributed: uppercase
hex for MD5/SHA-1/SHA-256, JSON booleans, no BOM; PDQ in lowercase as Meta and the triage
export write it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, cast

from puente.errors import FormatError, InputError
from puente.hashing.base import HashAlgorithm
from puente.hashing.registry import get_algorithm
from puente.hashsets.categories import Scheme
from puente.hashsets.formats.base import (
    Format,
    Item,
    ReadOptions,
    check_not_empty,
    first_bytes,
    flag,
)
from puente.hashsets.formats.jsonstream import JsonStream
from puente.hashsets.model import Bulk, Entry, HashSetInfo, Row, RowError

V1_KEY = "odata.metadata"
V2_KEY = "@odata.context"
V1_URL = "http://github.com/ICMEC/ProjectVic/DataModels/{version}.xml#{kind}"
V2_URL = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#{kind}"
_V1 = re.compile(r"/DataModels/(?P<version>[^/#]+)\.xml#(?P<kind>\w+)\s*$")
_V2 = re.compile(
    r"/DataModels/(?P<version>[^/#]+)\.xml/(?P<region>[^/]+)/\$metadata#(?P<kind>\w+)\s*$"
)

# Top-level hash fields of a Media record -> algorithm.
HASH_FIELDS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "PhotoDNA": "photodna"}
# AlternativeHashes HashName (lowercased) -> algorithm.
ALT_NAMES = {
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "photodna": "photodna",
    "pdq": "pdq",
    "vpdq": "vpdq",
}
BOOLEAN_FIELDS = (
    "VictimIdentified",
    "OffenderIdentified",
    "IsDistributed",
    "IsSuspected",
    "IsPrecategorized",
    "SelfGenerated",
)
# OData bookkeeping, meaningless outside the exporting server.
_ODATA = re.compile(r"^odata\.|@odata\.")


@dataclass(frozen=True)
class Dialect:
    version: str  # "1.2" | "1.3" | "2.0"
    kind: str  # "Media" | "Cases"
    region: str | None  # 2.0 only

    @property
    def format_name(self) -> str:
        return "vics2" if self.version == "2.0" else "vics"

    @property
    def scheme(self) -> str:
        if self.region is None or self.region.lower() == "default":
            return "vics_us"
        return f"vics_{self.region.lower()}"


def dialect_of(key: str, url: object) -> Dialect:
    """The dialect named by the header key and its URL; a clear error for anything else."""
    if not isinstance(url, str):
        raise ValueError(f"{key!r} must be a string, got {json.dumps(url)[:80]}")
    if key == V1_KEY:
        m = _V1.search(url)
        if m is None or m["version"] not in ("1.2", "1.3"):
            raise ValueError(
                f"unsupported VICS version in {key!r}: {url!r} (supported: 1.2 and 1.3 with "
                f"{V1_KEY!r}, 2.0 with {V2_KEY!r})"
            )
        kind = m["kind"]
        region = None
        version = m["version"]
    else:
        m = _V2.search(url)
        if m is None or m["version"] != "2.0":
            raise ValueError(
                f"unsupported VICS version in {key!r}: {url!r} (supported: 2.0 with {V2_KEY!r}, "
                f"1.2 and 1.3 with {V1_KEY!r})"
            )
        kind, region, version = m["kind"], m["region"], "2.0"
    if kind not in ("Media", "Cases"):
        raise ValueError(f"unsupported VICS document kind {kind!r} in {url!r} (Media or Cases)")
    return Dialect(version, kind, region)


def sniff(head: bytes) -> Dialect | None:
    """The dialect from the first bytes, when the header key comes first (it always does)."""
    text = head.decode("utf-8", errors="replace").lstrip()
    if not text.startswith("{"):
        return None
    for key in (V1_KEY, V2_KEY):
        m = re.search(rf'"{re.escape(key)}"\s*:\s*"([^"]*)"', text)
        if m:
            try:
                return dialect_of(key, m.group(1))
            except ValueError:
                return None
    return None


def looks_like(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace").lstrip()
    return text.startswith("{") and (V1_KEY in text or V2_KEY in text)


def _scheme(dialect: Dialect, options: ReadOptions, source: str) -> Scheme:
    name = options.scheme or dialect.scheme
    try:
        return options.categories.scheme(name)
    except InputError as exc:
        raise FormatError(
            source, f"VICS region {dialect.region!r} has no category scheme: {exc}"
        ) from exc


def _encodable(text: str) -> bool:
    """False for a lone surrogate (JSON allows "\\ud800"; no database stores it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def media_entries(record: Any, scheme: Scheme) -> tuple[Entry, ...]:
    """The entries of one Media record; raises InputError/ValueError with the reason."""
    if not isinstance(record, dict):
        raise InputError(f"a Media record must be a JSON object, got {type(record).__name__}")
    meta: dict[str, Any] = {}
    hashes: list[tuple[str, str, str]] = []  # (algorithm, raw value, field)
    media_id: str | None = None
    source_category: str | None = None
    for key, value in record.items():
        if "odata" in key and _ODATA.search(key):
            continue
        if key == "MediaID":
            media_id = None if value is None else str(value)
            if media_id is not None and not _encodable(media_id):
                raise InputError(f"MediaID is not valid Unicode: {media_id!r}")
        elif key == "Category":
            if isinstance(value, bool) or not isinstance(value, int | str | type(None)):
                raise InputError(f"Category must be a number, got {json.dumps(value)[:40]}")
            source_category = None if value is None else str(value).strip()
        elif key in HASH_FIELDS:
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise InputError(f"{key} must be a string, got {json.dumps(value)[:40]}")
            hashes.append((HASH_FIELDS[key], value, key))
        elif key == "AlternativeHashes" and isinstance(value, list):
            others = []
            for alt in value:
                name = str(alt.get("HashName", "")).strip().lower() if isinstance(alt, dict) else ""
                algo = ALT_NAMES.get(name)
                raw = alt.get("HashValue") if isinstance(alt, dict) else None
                if algo is not None and isinstance(raw, str) and raw:
                    hashes.append((algo, raw, f"AlternativeHashes {alt.get('HashName')}"))
                else:
                    others.append(alt)
            if others:
                meta[key] = others
        elif key in BOOLEAN_FIELDS:
            try:
                meta[key] = flag(value)
            except ValueError as exc:
                raise InputError(f"{key}: {exc}") from None
        else:
            meta[key] = value
    if not hashes:
        raise InputError("Media record has no hash (MD5, SHA1, PhotoDNA)")
    category = scheme.map(source_category)
    entries = []
    seen: set[tuple[str, str]] = set()
    for algo_name, raw, field_name in hashes:
        try:
            value = get_algorithm(algo_name).normalise(raw)
        except InputError as exc:
            raise InputError(f"{field_name}: {exc}") from None
        if len(hashes) > 1:
            if (algo_name, value) in seen:
                continue
            seen.add((algo_name, value))
        entries.append(
            Entry(algo_name, value, category, scheme.name, source_category, media_id, metadata=meta)
        )
    return tuple(entries)


def read(path: Path, options: ReadOptions, *, expect: str | None = None) -> Iterator[Item]:
    """Rows of a VICS file. ``expect`` ("vics" or "vics2") refuses the other dialect."""
    check_not_empty(path)
    source = str(path)
    head = first_bytes(path, 64)
    if not head.lstrip().startswith(b"{"):
        raise FormatError(source, "not VICS JSON: the file does not start with '{'", 1)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        stream = JsonStream(fh, source, progress=options.progress)
        dialect: Dialect | None = None
        saw_value = False
        for key, line in stream.members():
            if key in (V1_KEY, V2_KEY):
                url = stream.value()
                try:
                    dialect = dialect_of(key, url)
                except ValueError as exc:
                    raise FormatError(source, str(exc), line) from None
                if expect is not None and dialect.format_name != expect:
                    raise FormatError(
                        source,
                        f"this is VICS {dialect.version}, not what --format {expect} reads "
                        f"(use --format {dialect.format_name} or auto)",
                        line,
                    )
            elif key == "value":
                if dialect is None:
                    raise FormatError(
                        source,
                        f"no VICS header ({V1_KEY!r} or {V2_KEY!r}) before the 'value' array",
                        line,
                    )
                saw_value = True
                scheme = _scheme(dialect, options, source)
                records = stream.array_items("value")
                if dialect.kind == "Cases":
                    for item_line, item in records:
                        yield from _case(source, item_line, item, scheme)
                elif options.bulk:
                    yield from _media_bulk(source, records, scheme)
                else:
                    for item_line, item in records:
                        yield _media(source, item_line, item, scheme)
            else:
                stream.value()  # other top-level keys are not needed
        if not stream.at_end():
            raise stream.error("unexpected data after the end of the JSON document")
    if dialect is None:
        raise FormatError(source, f"not VICS JSON: no {V1_KEY!r} or {V2_KEY!r} key")
    if not saw_value:
        raise FormatError(source, "VICS document has no 'value' array")


def _media(source: str, line: int, record: Any, scheme: Scheme) -> Item:
    try:
        return Row(line, media_entries(record, scheme))
    except (InputError, ValueError) as exc:
        return RowError(source, line, str(exc))


# A lean Media record (only these keys) is read in bulk; any other goes through media_entries.
_LEAN_KEYS = frozenset({"MediaID", "Category", "MD5", "SHA1", "SHA256"})
_LEAN_HASHES = (("MD5", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"))
_RUN = 4096  # records per Bulk at most
_NO_RUN = object()


def _lean_category(raw: object) -> object:
    """A lean record's source category as media_entries reads it; _NO_RUN if not lean."""
    if raw is None:
        return None
    if type(raw) is int:
        return str(raw)
    if type(raw) is str:
        return raw.strip()
    return _NO_RUN  # (bool, float…: media_entries names the problem)


def _lean(
    record: Any, algorithms: list[tuple[str, HashAlgorithm]]
) -> tuple[str | None, str | None, list[tuple[str, str]]] | None:
    """(source category, media id, [(algorithm, value)]) of a lean, valid record, else None.

    Gives what media_entries gives for such a record; anything else (other keys, a bad
    value, no hash) returns None and is read by media_entries, errors included.
    """
    if type(record) is not dict or not record.keys() <= _LEAN_KEYS:
        return None
    category = _lean_category(record.get("Category"))
    if category is _NO_RUN:
        return None
    media_id = record.get("MediaID")
    hashes = []
    for name, algorithm in algorithms:
        raw = record.get(name)
        if raw is None or raw == "":
            continue
        if type(raw) is not str:
            return None
        try:
            hashes.append((algorithm.name, algorithm.normalise(raw)))
        except InputError:
            return None
    if not hashes:
        return None
    source_id = None if media_id is None else str(media_id)
    if source_id is not None and not _encodable(source_id):
        return None  # (media_entries names the problem)
    return cast(str | None, category), source_id, hashes


_HEX_RUN = {
    name: re.compile(f"(?:[0-9a-f]{{{width}}}\n)*[0-9a-f]{{{width}}}")
    for name, width in (("md5", 32), ("sha1", 40), ("sha256", 64))
}


def _media_bulk(source: str, records: Iterator[tuple[int, Any]], scheme: Scheme) -> Iterator[Item]:
    """Media records as Bulk runs (consecutive lean records with one Category), else Rows.

    Order is kept: a run is yielded before any record that does not belong to it.
    """
    algorithms = [(name, get_algorithm(algo)) for name, algo in _LEAN_HASHES]
    run: list[tuple[int, dict[str, Any]]] = []
    run_category: object = _NO_RUN
    category = ""
    for line, record in records:
        if type(record) is dict and record.keys() <= _LEAN_KEYS:
            cat = _lean_category(record.get("Category"))
            if cat is not _NO_RUN:
                if cat != run_category:
                    if run:
                        yield from _lean_run(
                            source, run, run_category, category, scheme, algorithms
                        )
                        run = []
                    try:
                        category = scheme.map(cast(str | None, cat))
                        run_category = cat
                    except InputError:
                        run_category = _NO_RUN
                        yield _media(source, line, record, scheme)
                        continue
                run.append((line, record))
                if len(run) >= _RUN:
                    yield from _lean_run(source, run, run_category, category, scheme, algorithms)
                    run = []
                continue
        if run:
            yield from _lean_run(source, run, run_category, category, scheme, algorithms)
            run = []
        run_category = _NO_RUN
        yield _media(source, line, record, scheme)
    if run:
        yield from _lean_run(source, run, run_category, category, scheme, algorithms)


def _lean_run(
    source: str,
    run: list[tuple[int, dict[str, Any]]],
    source_category: object,
    category: str,
    scheme: Scheme,
    algorithms: list[tuple[str, HashAlgorithm]],
) -> Iterator[Item]:
    """One Bulk per algorithm for a run of lean records of one category, the values checked
    a run at a time; a run with anything unusual goes record by record instead."""
    template = Entry("", "", category, scheme.name, cast(str | None, source_category))
    bulks = _run_bulks(run, template)
    if bulks is None:
        yield from _lean_records(source, run, template, scheme, algorithms)
    else:
        yield from bulks


def _run_bulks(run: list[tuple[int, dict[str, Any]]], template: Entry) -> list[Bulk] | None:
    columns: dict[str, tuple[list[str], list[int], list[str | None]]] = {}
    hashes = 0
    for line, record in run:
        media_id = record.get("MediaID")
        source_id = None if media_id is None else str(media_id)
        before = hashes
        for name, algo in _LEAN_HASHES:
            raw = record.get(name)
            if raw is None or raw == "":
                continue
            column = columns.get(algo)
            if column is None:
                column = columns[algo] = ([], [], [])
            column[0].append(raw)
            column[1].append(line)
            column[2].append(source_id)
            hashes += 1
        if hashes == before:
            return None  # a record without a hash
    if not all(_encodable("".join(filter(None, ids))) for _, _, ids in columns.values()):
        return None  # a MediaID no database can store: media_entries names it
    if len(columns) > 1:
        # Records with several hashes stay whole, as Rows: a Bulk per algorithm could be cut
        # at a batch edge between a record's MD5 and its SHA1 (duplicates and conflicts are
        # judged within a batch), and would note repeats out of file order.
        return None
    bulks: list[Bulk] = []
    for algo, (raws, lines, ids) in columns.items():
        try:
            text = "\n".join(raws).lower()
        except TypeError:  # a value that is not a string
            return None
        if not _HEX_RUN[algo].fullmatch(text):
            return None  # (whitespace around a value, a bad value: record by record)
        values = text.split("\n")
        if len(values) != len(raws):
            return None  # a value holding a line break: record by record
        bulks.append(
            Bulk(
                replace(template, algorithm=algo),
                values,
                lines,
                ids,
                rows=0 if bulks else len(run),
            )
        )
    return bulks


def _lean_records(
    source: str,
    run: list[tuple[int, dict[str, Any]]],
    template: Entry,
    scheme: Scheme,
    algorithms: list[tuple[str, HashAlgorithm]],
) -> Iterator[Item]:
    """A run record by record: valid lean ones still in Bulks, any other (a bad value, no
    hash) through media_entries, which names the problem."""
    columns: dict[str, tuple[list[str], list[int], list[str | None]]] = {}
    rows = 0

    def bulks() -> Iterator[Bulk]:
        for n, (algo, (values, lines, ids)) in enumerate(columns.items()):
            yield Bulk(replace(template, algorithm=algo), values, lines, ids, rows=0 if n else rows)

    for line, record in run:
        lean = _lean(record, algorithms)
        if lean is None or len(lean[2]) > 1:
            if columns:
                yield from bulks()
                columns, rows = {}, 0
            yield _media(source, line, record, scheme)
            continue
        for algo, value in lean[2]:
            column = columns.get(algo)
            if column is None:
                column = columns[algo] = ([], [], [])
            column[0].append(value)
            column[1].append(line)
            column[2].append(lean[1])
        rows += 1
    if columns:
        yield from bulks()


def _case(source: str, line: int, case: Any, scheme: Scheme) -> Iterator[Item]:
    if not isinstance(case, dict):
        yield RowError(source, line, "a Cases record must be a JSON object")
        return
    media = case.get("Media")
    if not isinstance(media, list):
        yield RowError(source, line, "case has no 'Media' array")
        return
    for record in media:
        yield _media(source, line, record, scheme)


def read_v1(path: Path, options: ReadOptions) -> Iterator[Item]:
    return read(path, options, expect="vics")


def read_v2(path: Path, options: ReadOptions) -> Iterator[Item]:
    return read(path, options, expect="vics2")


# -- writing -----------------------------------------------------------------------------


def _media_id(source_id: str | None, fallback: int) -> int | str:
    if source_id is None:
        return fallback
    return int(source_id) if source_id.isdigit() else source_id


def _vics_category(entries: list[Entry], reverse: dict[str, str]) -> int | str | None:
    first = entries[0]
    code: str | None
    if first.source_scheme == "vics_us" and first.source_category is not None:
        code = first.source_category
    else:
        code = reverse.get(first.category)
    if code is None:
        return None
    return int(code) if code.isdigit() else code


def group_media(entries: Iterable[Entry]) -> Iterator[list[Entry]]:
    """Adjacent entries with the same source id form one Media record (the store orders them)."""
    group: list[Entry] = []
    for entry in entries:
        if group and (entry.source_id is None or entry.source_id != group[0].source_id):
            yield group
            group = []
        group.append(entry)
    if group:
        yield group


def _write(out: IO[str], entries: Iterable[Entry], version: str) -> int:
    from puente.hashsets.categories import default_category_map

    us = default_category_map().scheme("vics_us").categories
    reverse: dict[str, str] = {}
    for code, cat in us.items():
        reverse.setdefault(cat, code)
    reverse.setdefault("known_good", "0")
    if version == "2.0":
        out.write(
            "{"
            + json.dumps(V2_KEY)
            + ": "
            + json.dumps(V2_URL.format(region="Default", kind="Media"))
        )
    else:
        out.write(
            "{" + json.dumps(V1_KEY) + ": " + json.dumps(V1_URL.format(version="1.3", kind="Media"))
        )
    out.write(',\n"value": [\n')
    count = 0
    next_id = 1
    first = True
    for group in group_media(entries):
        record: dict[str, Any] = {"MediaID": _media_id(group[0].source_id, next_id)}
        next_id += 1
        record["Category"] = _vics_category(group, reverse)
        alternatives: list[Any] = []
        for e in group:
            if e.algorithm in ("md5", "sha1"):
                record[e.algorithm.upper()] = e.value.upper()
            elif e.algorithm == "photodna" and version == "2.0":
                record["PhotoDNA"] = e.value
            elif e.algorithm == "photodna":
                alternatives.append({"HashName": "PhotoDNA", "HashValue": e.value})
            elif e.algorithm == "pdq":
                # As the triage export writes it (report/case_export.py): Meta's lowercase hex.
                alternatives.append({"HashName": "PDQ", "HashValue": e.value})
            elif e.algorithm == "vpdq":
                # No VICS field for video hashes: the generic HashName/HashValue pair, value in
                # Meta's vPDQ lines joined with ';' (readers that do not know it ignore it).
                alternatives.append({"HashName": "vPDQ", "HashValue": e.value})
            else:
                alternatives.append({"HashName": e.algorithm.upper(), "HashValue": e.value.upper()})
            count += 1
        meta = dict(group[0].metadata)
        extra_alt = meta.pop("AlternativeHashes", None)
        if isinstance(extra_alt, list):
            alternatives.extend(extra_alt)
        if alternatives:
            record["AlternativeHashes"] = alternatives
        record.update(meta)
        out.write("" if first else ",\n")
        first = False
        out.write(json.dumps(record, ensure_ascii=False))
    out.write("\n]}\n")
    return count


def write_v1(out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int:
    return _write(out, entries, "1.3")


def write_v2(out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int:
    return _write(out, entries, "2.0")


FORMAT_V1 = Format(
    "vics", "Project VIC VICS JSON 1.2/1.3 (odata.metadata)", read_v1, write_v1, ".json"
)
FORMAT_V2 = Format(
    "vics2", "Project VIC VICS JSON 2.0 (@odata.context)", read_v2, write_v2, ".json"
)
