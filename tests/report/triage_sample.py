"""A fixed, benign triage report (no database) for golden files and export tests."""

from __future__ import annotations

from datetime import UTC, datetime

from puente.cases.custody import next_entry
from puente.cases.model import (
    Case,
    CustodyEntry,
    EvidenceItem,
    HashSetUsed,
    Scan,
    ScanItem,
    ScanMatch,
)
from puente.report.triage import TriageReport

T = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DIGEST = "5" * 64


def _item(path: str, data_id: int, *, status: str = "ok", **kw: object) -> ScanItem:
    values: dict[str, object] = {
        "scan_id": 1,
        "path": path,
        "size": 1000 + data_id,
        "mtime": 1767225600.0 + data_id,
        "atime": 1767225600.0 + data_id,
        "ctime": 1767225600.0 + data_id,
        "kind": "image/jpeg",
        "md5": f"{data_id:032x}",
        "sha1": f"{data_id:040x}",
        "sha256": f"{data_id:064x}",
        "status": status,
        "detail": None,
        "depth": path.count("!/"),
        "container": path.rsplit("!/", 1)[0] if "!/" in path else None,
        "matches": (),
    }
    values.update(kw)
    return ScanItem(**values)  # type: ignore[arg-type]


def sample_report() -> TriageReport:
    case = Case(1, "Operación Mariposa <test>", "AR", "UFECI", "FIS-2026-001", T)
    evidence = EvidenceItem(
        1, 1, "/evidence/usb-01", "USB stick, 16 GB", "Insp. Gómez", T, "sha256:" + "ab" * 32, T
    )
    sets = (HashSetUsed("demo-set", "2026.1", "UFECI / AR", "format vics, 3 entries"),)
    scan = Scan(1, 1, 1, "finished", DIGEST, T, T.replace(minute=45), sets, "0.1.0")
    hit = ScanMatch("md5", f"{2:032x}", "demo-set", "2026.1", "csam", "1")
    hit2 = ScanMatch("sha256", f"{4:064x}", "demo-set", "2026.1", "comparison", "4")
    items = (
        _item("photos/a.jpg", 1),
        _item("photos/b.jpg", 2, matches=(hit,)),
        _item("archive.zip", 3, kind="application/zip"),
        _item("archive.zip!/inner/c.jpg", 4, matches=(hit2,)),
        _item(
            "archive.zip!/bomb.bin",
            5,
            status="limit_exceeded",
            md5=None,
            sha1=None,
            sha256=None,
            kind="unknown",
            detail="max_ratio 100 exceeded (ratio 1031.2)",
        ),
        _item(
            "locked.doc",
            6,
            status="error",
            md5=None,
            sha1=None,
            sha256=None,
            size=None,
            kind="unknown",
            detail="PermissionError: [Errno 13] Permission denied",
        ),
    )
    custody: list[CustodyEntry] = []
    for action, details in [
        ("case_created", {"title": case.title, "country": "AR", "agency": "UFECI"}),
        ("evidence_registered", {"evidence_id": 1, "path": evidence.path}),
        ("scan_started", {"scan_id": 1, "evidence_id": 1}),
        ("scan_finished", {"scan_id": 1, "evidence_id": 1, "items": 6, "matched": 2}),
    ]:
        custody.append(
            next_entry(custody[-1] if custody else None, 1, T, "examiner", action, details)
        )
    return TriageReport(
        case=case,
        evidence=(evidence,),
        scans=(scan,),
        items=items,
        custody=tuple(custody),
        custody_problems=(),
        settings_digest=DIGEST,
        generated_at=T.replace(hour=10),
        operator="examiner",
        puente_version="0.1.0",
        libraries=(("Python", "3.11"), ("hashlib (OpenSSL)", "OpenSSL 3"), ("Pillow", "11")),
    )
