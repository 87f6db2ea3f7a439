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
    near = ScanMatch("pdq", "f0" * 32, "demo-set", "2026.1", "csam", "1", 12, 94, "rotate90")
    video = ScanMatch(
        "vpdq",
        "sha256:" + "7" * 64,
        "demo-set",
        "2026.1",
        "exploitive",
        "2",
        detail="query 100.0% of 10 frames, entry 90.0% of 11 frames",
    )
    pdq = {"pdq": "f1" * 32, "pdq_quality": 94, "pdq_decode_mode": "jpeg-draft-1/2"}
    items = (
        _item("photos/a.jpg", 1, **{**pdq, "pdq": "a5" * 32, "pdq_decode_mode": "full"}),
        _item("photos/b.jpg", 2, matches=(hit,)),
        _item("photos/d.jpg", 7, matches=(near,), **pdq, pdq_dihedral=",".join(["f1" * 32] * 8)),
        _item(
            "videos/v.mp4",
            8,
            kind="video/mp4",
            matches=(video,),
            vpdq="0,94," + "f1" * 32 + ",0.000\n12,93," + "f2" * 32 + ",1.000",
        ),
        _item(
            "photos/cut.jpg",
            9,
            status="error",
            detail="PDQ not computed: FormatError: cannot open image: OSError: Truncated File Read",
        ),
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
