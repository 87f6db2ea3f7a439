"""Case exports for other tools: a VICS 2.0 case (#Cases) and a CASE/UCO 1.5 JSON-LD graph.

Both carry hashes, paths, sizes and times only; no file content is exported (VICS
``RelativeFilePath`` is left out because no copy of any file exists). Identifiers are
UUIDv5 derived from the case, so exporting the same records twice gives the same file.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from puente.cases.model import ScanItem
from puente.report.triage import TriageReport

VICS_CONTEXT = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Cases"
)
# Puente's normalised categories back to Project VIC US/Default codes (categories.yaml).
VICS_CATEGORY = {"non_pertinent": 0, "csam": 1, "exploitive": 2, "cgi": 3, "comparison": 4}
_SEVERITY = ("csam", "exploitive", "cgi", "comparison", "non_pertinent")

_NAMESPACE = uuid.UUID("8c6f3b1e-5d2a-4f0e-9a51-7b0c2e6d4a10")


def _uuid(report: TriageReport, *parts: object) -> str:
    key = "|".join(str(p) for p in (report.case.id, report.case.created_at.isoformat(), *parts))
    return str(uuid.uuid5(_NAMESPACE, key))


def _vics_time(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _name(path: str) -> str:
    return path.rsplit("!/", 1)[-1].rsplit("/", 1)[-1]


def _vics_category(items: list[ScanItem]) -> int | None:
    # Exact (byte-identical) matches only: a perceptual match is a lead for the examiner,
    # not a categorisation another tool should take over (it goes in Comments).
    categories = {m.category for i in items for m in i.matches if not m.perceptual}
    for category in _SEVERITY:
        if category in categories:
            return VICS_CATEGORY[category]
    return None


def _exact(item: ScanItem) -> list[Any]:
    return [m for m in item.matches if not m.perceptual]


def vics_case(report: TriageReport) -> dict[str, Any]:
    """One VICS 2.0 case: a Media record per distinct MD5, a MediaFile per occurrence."""
    by_md5: dict[str, list[ScanItem]] = defaultdict(list)
    for item in report.items:
        if item.md5:
            by_md5[item.md5].append(item)
    md5_of = {(i.scan_id, i.path): i.md5 for i in report.items}
    media = []
    for media_id, md5 in enumerate(sorted(by_md5), start=1):
        items = by_md5[md5]
        first = items[0]
        record: dict[str, Any] = {
            "MediaID": media_id,
            "MD5": md5.upper(),
            "SHA1": (first.sha1 or "").upper(),
            "MediaSize": first.size,
            "MimeType": first.kind.split("/")[0] if "/" in first.kind else first.kind,
            "IsPrecategorized": "true" if any(_exact(i) for i in items) else "false",
        }
        # VICS 2.0 has a field for PhotoDNA only; PDQ goes in the generic AlternativeHashes
        # (HashName/HashValue), which readers that do not know PDQ ignore.
        pdq = sorted({i.pdq for i in items if i.pdq})
        if pdq:
            record["AlternativeHashes"] = [{"HashName": "PDQ", "HashValue": v} for v in pdq]
        category = _vics_category(items)
        if category is not None:
            record["Category"] = category
        sets = sorted({f"{m.set_name} {m.set_version}" for i in items for m in _exact(i)})
        if sets:
            record["PrecategorizationSource"] = "; ".join(sets)
        near = sorted(
            {
                f"{m.algorithm.upper()} near match: {m.set_name} {m.set_version} {m.category}"
                + (f" distance {m.distance} variant {m.variant}" if m.algorithm == "pdq" else "")
                + (f" ({m.detail})" if m.detail else "")
                for i in items
                for m in i.matches
                if m.perceptual
            }
        )
        if near:
            record["Comments"] = "; ".join(near) + " (to be confirmed by the examiner)"
        files = []
        for item in sorted(items, key=lambda i: (i.scan_id, i.path)):
            entry: dict[str, Any] = {
                "MD5": md5.upper(),
                "FileName": _name(item.path),
                "FilePath": "/" + item.path,
                "Written": _vics_time(item.mtime),
                "Accessed": _vics_time(item.atime),
                "Unallocated": "false",
                "Deleted": "false",
            }
            if item.container:
                entry["ParentFileName"] = _name(item.container)
                entry["ParentFilePath"] = "/" + item.container
                parent = md5_of.get((item.scan_id, item.container))
                if parent:
                    entry["ParentMD5"] = parent.upper()
            files.append({k: v for k, v in entry.items() if v is not None})
        record["MediaFiles"] = files
        media.append(record)
    seizure = [e.acquired_at for e in report.evidence if e.acquired_at]
    case: dict[str, Any] = {
        "CaseID": "{" + _uuid(report, "vics-case").upper() + "}",
        "CaseNumber": report.case.reference or f"PUENTE-{report.case.id}",
        "ContactOrganization": report.case.agency,
        "ContactName": report.operator,
        "SourceApplicationName": "Puente",
        "SourceApplicationVersion": report.puente_version,
        "TotalMediaFiles": sum(len(m["MediaFiles"]) for m in media),
        "TotalPrecategorized": sum(1 for m in media if m["IsPrecategorized"] == "true"),
        "CaseMetadata": [
            {"PropertyName": "Title", "PropertyValue": report.case.title},
            {"PropertyName": "Country", "PropertyValue": report.case.country},
            {"PropertyName": "SettingsDigest", "PropertyValue": report.settings_digest},
            {
                "PropertyName": "HashSets",
                "PropertyValue": "; ".join(f"{h.name} {h.version}" for h in report.hashsets),
            },
        ],
        "Media": media,
    }
    if seizure:
        case["SeizureDate"] = min(seizure).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    return {"@odata.context": VICS_CONTEXT, "value": [case]}


CASE_CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _dt(value: datetime) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value.astimezone(UTC).isoformat()}


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def case_uco(report: TriageReport) -> dict[str, Any]:
    """A CASE 1.5 / UCO graph: files with hashes, the scans and custody entries as
    investigative actions, a provenance record per evidence item."""

    def kb(kind: str, *parts: object) -> str:
        return f"kb:{kind}-{_uuid(report, kind, *parts)}"

    graph: list[dict[str, Any]] = []
    org = kb("Organization", report.case.agency)
    tool = kb("Tool", report.puente_version)
    graph.append(
        {"@id": org, "@type": "uco-identity:Organization", "uco-core:name": report.case.agency}
    )
    graph.append(
        {
            "@id": tool,
            "@type": "uco-tool:Tool",
            "uco-core:name": "Puente",
            "uco-tool:version": report.puente_version,
        }
    )
    files_by_evidence: dict[int, list[str]] = defaultdict(list)
    files_by_scan: dict[int, list[str]] = defaultdict(list)
    evidence_of_scan = {s.id: s.evidence_id for s in report.scans}
    for item in report.items:
        if not item.md5:
            continue
        fid = kb("File", item.scan_id, item.path)
        hashes = [
            (name, value)
            for name, value in (("MD5", item.md5), ("SHA1", item.sha1), ("SHA256", item.sha256))
            if value
        ]
        file_facet: dict[str, Any] = {
            "@id": kb("FileFacet", item.scan_id, item.path),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": _name(item.path),
            "uco-observable:filePath": item.path,
        }
        content: dict[str, Any] = {
            "@id": kb("ContentDataFacet", item.scan_id, item.path),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:hash": [
                {
                    "@id": kb("Hash", item.scan_id, item.path, name),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": name,
                    "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value},
                }
                for name, value in hashes
            ],
        }
        if item.size is not None:
            file_facet["uco-observable:sizeInBytes"] = item.size
            content["uco-observable:sizeInBytes"] = item.size
        if item.mtime is not None:
            file_facet["uco-observable:modifiedTime"] = _dt(datetime.fromtimestamp(item.mtime, UTC))
        node: dict[str, Any] = {
            "@id": fid,
            "@type": "uco-observable:File",
            "uco-core:hasFacet": [file_facet, content],
        }
        tags = sorted({f"match:{m.set_name}@{m.set_version}:{m.category}" for m in item.matches})
        if tags:
            node["uco-core:tag"] = tags
        graph.append(node)
        files_by_scan[item.scan_id].append(fid)
        files_by_evidence[evidence_of_scan.get(item.scan_id, 0)].append(fid)
    records: dict[int, str] = {}
    for evidence in report.evidence:
        rid = kb("ProvenanceRecord", evidence.id)
        records[evidence.id] = rid
        record: dict[str, Any] = {
            "@id": rid,
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": f"E{evidence.id}",
            "uco-core:description": f"{evidence.description} ({evidence.path})",
        }
        if files_by_evidence[evidence.id]:
            record["uco-core:object"] = [_ref(f) for f in files_by_evidence[evidence.id]]
        graph.append(record)
    actions: list[str] = []
    for scan in report.scans:
        aid = kb("InvestigativeAction", "scan", scan.id)
        action: dict[str, Any] = {
            "@id": aid,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": f"scan {scan.id}: hash and match against known-hash sets",
            "uco-core:description": (
                f"status {scan.status}; settings digest {scan.settings_digest}; hash sets: "
                + (", ".join(f"{h.name} {h.version}" for h in scan.hashsets) or "none")
            ),
            "uco-action:startTime": _dt(scan.started_at),
            "uco-action:performer": _ref(org),
            "uco-action:instrument": _ref(tool),
        }
        if scan.finished_at:
            action["uco-action:endTime"] = _dt(scan.finished_at)
        if files_by_scan[scan.id]:
            action["uco-action:object"] = [_ref(f) for f in files_by_scan[scan.id]]
        if scan.evidence_id in records:
            action["uco-action:result"] = _ref(records[scan.evidence_id])
        graph.append(action)
        actions.append(aid)
    operators: dict[str, str] = {}
    previous: str | None = None
    for entry in report.custody:
        if entry.operator not in operators:
            operators[entry.operator] = kb("Identity", entry.operator)
            graph.append(
                {
                    "@id": operators[entry.operator],
                    "@type": "uco-identity:Identity",
                    "uco-core:name": entry.operator,
                }
            )
        cid = kb("InvestigativeAction", "custody", entry.seq)
        node = {
            "@id": cid,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": f"custody {entry.seq}: {entry.action}",
            "uco-core:description": json.dumps(
                {**entry.details, "entry_hash": entry.entry_hash, "prev_hash": entry.prev_hash},
                sort_keys=True,
                ensure_ascii=False,
            ),
            "uco-action:startTime": _dt(entry.at),
            "uco-action:performer": _ref(operators[entry.operator]),
            "uco-action:instrument": _ref(tool),
        }
        if previous:
            node["case-investigation:wasInformedBy"] = _ref(previous)
        graph.append(node)
        actions.append(cid)
        previous = cid
    graph.insert(
        0,
        {
            "@id": kb("Investigation"),
            "@type": "case-investigation:Investigation",
            "uco-core:name": report.case.reference or f"PUENTE-{report.case.id}",
            "uco-core:description": report.case.title,
            "case-investigation:focus": "CSAM hash triage",
            "uco-core:object": [_ref(a) for a in actions] + [_ref(r) for r in records.values()],
        },
    )
    return {"@context": CASE_CONTEXT, "@graph": graph}
