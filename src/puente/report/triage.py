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
        },
        "matched": [_item_json(i) for i in report.matched],
        "problems": [_item_json(i) for i in report.problems],
        "custody": {
            "intact": report.custody_intact,
            "problems": list(report.custody_problems),
            "entries": [{**asdict(e), "at": _iso(e.at)} for e in report.custody],
        },
    }


def match_lines(item: ScanItem) -> list[str]:
    """One line per set: "name version (md5, sha1, sha256; source category)"."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for m in item.matches:
        grouped.setdefault((m.set_name, m.set_version, m.source_category), []).append(m.algorithm)
    lines = []
    for (name, version, source), algorithms in sorted(grouped.items()):
        extra = f"; {source}" if source else ""
        lines.append(f"{name} {version} ({', '.join(algorithms)}{extra})")
    return lines


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
        match_lines=match_lines,
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
