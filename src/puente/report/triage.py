"""The court-ready triage report: HTML, PDF and JSON from stored records only.

It names the case, the evidence, the software and library versions, the settings digest
and the hash sets used, so that a second examiner can reproduce the scan; it lists counts,
matched files, errors and limit hits, and the custody log with its verification result.
It shows paths, sizes and hashes only: no content of any file is displayed or copied.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import re
import ssl
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from puente.cases.model import Case, CustodyEntry, EvidenceItem, HashSetUsed, Scan, ScanItem
from puente.report.documents import check_lang, html_to_pdf, messages, render

SCHEMA = "puente.triage.report/1"

# Libraries whose behaviour decides hashes, detected types or decoded content.
LIBRARIES = ("pdqhash", "Pillow", "pillow-heif", "av", "py7zr", "filetype", "numpy")


def library_versions() -> tuple[tuple[str, str], ...]:
    """Name and version of Python, hashlib's OpenSSL and every decoder (absent ones said so)."""
    versions = [
        ("Python", platform.python_version()),
        ("hashlib (OpenSSL)", ssl.OPENSSL_VERSION),
    ]
    for name in LIBRARIES:
        try:
            versions.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return tuple(versions)


@dataclass(frozen=True)
class TriageReport:
    """Everything the report shows, gathered by the flow from the store."""

    case: Case
    evidence: tuple[EvidenceItem, ...]
    scans: tuple[Scan, ...]
    items: tuple[ScanItem, ...]
    custody: tuple[CustodyEntry, ...]
    custody_problems: tuple[str, ...]
    settings_digest: str
    generated_at: datetime
    operator: str
    puente_version: str
    libraries: tuple[tuple[str, str], ...]

    @property
    def custody_intact(self) -> bool:
        return not self.custody_problems

    @property
    def matched(self) -> tuple[ScanItem, ...]:
        return tuple(i for i in self.items if i.matches)

    @property
    def problems(self) -> tuple[ScanItem, ...]:
        return tuple(i for i in self.items if i.status != "ok")

    @property
    def hashsets(self) -> tuple[HashSetUsed, ...]:
        seen: dict[tuple[str, str], HashSetUsed] = {}
        for scan in self.scans:
            for h in scan.hashsets:
                seen.setdefault((h.name, h.version), h)
        return tuple(seen[k] for k in sorted(seen))

    def by_category(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for item in self.items:
            for category in item.categories or ("unmatched",):
                counts[category] += 1
        return sorted(counts.items())

    def by_kind(self) -> list[tuple[str, int]]:
        return sorted(Counter(i.kind for i in self.items).items())

    def by_status(self) -> list[tuple[str, int]]:
        return sorted(Counter(i.status for i in self.items).items())

    def by_decode_mode(self) -> list[tuple[str, int]]:
        """How each PDQ-hashed image was decoded ("full", "jpeg-draft-1/N")."""
        return sorted(Counter(i.pdq_decode_mode or "?" for i in self.items if i.pdq).items())

    @property
    def images_hashed(self) -> int:
        return sum(1 for i in self.items if i.pdq)

    @property
    def videos_hashed(self) -> int:
        return sum(1 for i in self.items if i.vpdq)

    @property
    def perceptual_matches(self) -> int:
        return sum(1 for i in self.items for m in i.matches if m.perceptual)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _item_json(item: ScanItem) -> dict[str, Any]:
    data = asdict(item)
    data["matches"] = [asdict(m) for m in item.matches]
    return data


def to_json(report: TriageReport) -> dict[str, Any]:
    """The report as data (language-independent); matched files and problems listed."""
    return {
        "schema": SCHEMA,
        "generated_at": _iso(report.generated_at),
        "generated_by": report.operator,
        "puente_version": report.puente_version,
        "libraries": dict(report.libraries),
        "settings_digest": report.settings_digest,
        "case": {**asdict(report.case), "created_at": _iso(report.case.created_at)},
        "evidence": [
            {
                **asdict(e),
                "acquired_at": _iso(e.acquired_at),
                "registered_at": _iso(e.registered_at),
            }
            for e in report.evidence
        ],
        "scans": [
            {
                **asdict(s),
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
            }
            for s in report.scans
        ],
        "hashsets": [asdict(h) for h in report.hashsets],
        "counts": {
            "items": len(report.items),
            "matched": len(report.matched),
            "problems": len(report.problems),
            "by_category": dict(report.by_category()),
            "by_kind": dict(report.by_kind()),
            "by_status": dict(report.by_status()),
            "by_decode_mode": dict(report.by_decode_mode()),
            "images_hashed": report.images_hashed,
            "videos_hashed": report.videos_hashed,
            "perceptual_matches": report.perceptual_matches,
        },
        "matched": [_item_json(i) for i in report.matched],
        "problems": [_item_json(i) for i in report.problems],
        "custody": {
            "intact": report.custody_intact,
            "problems": list(report.custody_problems),
            "entries": [{**asdict(e), "at": _iso(e.at)} for e in report.custody],
        },
    }


_VPDQ_DETAIL = re.compile(r"query ([\d.]+)% of (\d+) frames, entry ([\d.]+)% of (\d+) frames")


def vpdq_detail(query_pct: float, query_frames: int, entry_pct: float, entry_frames: int) -> str:
    """How a vPDQ match is stored (ScanMatch.detail); the report words it per language."""
    return (
        f"query {query_pct:.1f}% of {query_frames} frames, "
        f"entry {entry_pct:.1f}% of {entry_frames} frames"
    )


def _vpdq_words(detail: str | None, msg: dict[str, str] | None) -> str:
    found = _VPDQ_DETAIL.fullmatch(detail or "")
    if found is None or msg is None:
        return detail or ""
    q, qn, c, cn = found.groups()
    sep = msg.get("decimal_separator", ".")
    q, c = q.replace(".", sep), c.replace(".", sep)
    if msg.get("vpdq_frames", "").count("{") != 4:
        return detail or ""
    return msg["vpdq_frames"].format(q=q, qn=qn, c=c, cn=cn)


def variant_label(variant: str | None, msg: dict[str, str] | None = None) -> str:
    """A dihedral variant in words ("trimmed:flipy" -> "mirrored left to right, after …")."""
    if not variant:
        return ""
    prefix, _, name = variant.rpartition(":")
    if msg is None:
        return variant
    text = msg.get(f"variant_{name}", name)
    if not prefix:
        return text
    if prefix.startswith("derot"):  # a query view: small rotation turned back, "derot+5.1"
        angle = prefix.removeprefix("derot").removesuffix("-trim")
        return f"{text}, {msg['variant_view_derot'].format(deg=angle)}"
    if prefix.startswith("cut"):  # a query view: one edge band cut, "cut25-bottom"
        return f"{text}, {msg['variant_view_cut'].format(view=prefix)}"
    return f"{text}, {msg['variant_trimmed']}"


def match_lines(item: ScanItem, msg: dict[str, str] | None = None) -> list[str]:
    """Exact matches: one line per set, "name version (md5, sha1, sha256; source category)";
    perceptual ones: one line per entry, "name version (PDQ, distance 12, quality 87,
    variant …; source category)" or "(vPDQ, …% of frames)"."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    lines = []
    word = msg or {"distance": "distance", "quality": "quality", "variant": "variant"}
    for m in item.matches:
        if m.algorithm == "pdq":
            extra = f"; {m.source_category}" if m.source_category else ""
            if m.detail and m.detail.startswith("view:"):  # an index view of the reference
                stored = msg["stored_view"] if msg else "stored view"
                extra = f", {stored}: {m.detail.removeprefix('view:')}{extra}"
            lines.append(
                f"{m.set_name} {m.set_version} (PDQ, {word['distance']} {m.distance}, "
                f"{word['quality']} {m.quality}, {word['variant']}: "
                f"{variant_label(m.variant, msg)}{extra})"
            )
        elif m.algorithm == "vpdq":
            extra = f"; {m.source_category}" if m.source_category else ""
            words = _vpdq_words(m.detail, msg)
            lines.append(f"{m.set_name} {m.set_version} (vPDQ, {words}{extra})")
        else:
            key = (m.set_name, m.set_version, m.source_category)
            grouped.setdefault(key, []).append(m.algorithm)
    exact = []
    for (name, version, source), algorithms in sorted(grouped.items()):
        extra = f"; {source}" if source else ""
        exact.append(f"{name} {version} ({', '.join(algorithms)}{extra})")
    return exact + lines


def _size(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def render_html(report: TriageReport, lang: str) -> str:
    check_lang(lang)
    m = messages("triage", lang)
    evidence = {e.id: e for e in report.evidence}
    return render(
        "triage/report.html.j2",
        lang=lang,
        m=m,
        r=report,
        evidence=evidence,
        iso=_iso,
        size=_size,
        status_label={k[7:]: v for k, v in m.items() if k.startswith("status_")},
        category_label={k[9:]: v for k, v in m.items() if k.startswith("category_")},
        match_lines=lambda item: match_lines(item, m),
        action_label={k[7:]: v for k, v in m.items() if k.startswith("action_")},
    )


def write(report: TriageReport, fmt: str, lang: str, output: Path) -> str:
    """Write the report in ``fmt`` (html, pdf, json); returns the SHA-256 of the file."""
    import json

    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        output.write_text(render_html(report, lang), encoding="utf-8")
    elif fmt == "pdf":
        html_to_pdf(render_html(report, lang), output)
    elif fmt == "json":
        text = json.dumps(to_json(report), ensure_ascii=False, indent=2, sort_keys=True)
        output.write_text(text + "\n", encoding="utf-8")
    else:
        from puente.errors import UnknownFormat

        raise UnknownFormat(f"unknown report format {fmt!r}: use html, pdf or json")
    return hashlib.sha256(output.read_bytes()).hexdigest()
