"""VICS case export and CASE/UCO JSON-LD (validated with case_validate from case-utils)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from puente.report.case_export import VICS_CONTEXT, case_uco, vics_case

from .triage_sample import sample_report


def test_vics_case_export_structure() -> None:
    data = vics_case(sample_report())
    assert data["@odata.context"] == VICS_CONTEXT
    (case,) = data["value"]
    assert case["CaseNumber"] == "FIS-2026-001" and case["ContactOrganization"] == "UFECI"
    assert case["CaseID"].startswith("{") and case["CaseID"].endswith("}")
    media = {m["MD5"]: m for m in case["Media"]}
    # Only items with hashes; errors and limit hits have none.
    assert len(media) == 7 and case["TotalMediaFiles"] == 7
    hit = media[f"{2:032X}"]
    assert hit["Category"] == 1 and hit["IsPrecategorized"] == "true"
    assert hit["MediaFiles"][0]["FilePath"] == "/photos/b.jpg"
    member = media[f"{4:032X}"]
    assert member["Category"] == 4
    assert member["MediaFiles"][0]["ParentFilePath"] == "/archive.zip"
    assert member["MediaFiles"][0]["ParentMD5"] == f"{3:032X}"
    assert "Category" not in media[f"{1:032X}"]
    assert case["TotalPrecategorized"] == 2
    # PDQ in AlternativeHashes; a perceptual match is a comment, not a category.
    near = media[f"{7:032X}"]
    assert near["AlternativeHashes"] == [{"HashName": "PDQ", "HashValue": "f1" * 32}]
    assert "Category" not in near and near["IsPrecategorized"] == "false"
    assert "PDQ near match: demo-set 2026.1 csam distance 12 variant rotate90" in near["Comments"]
    assert "VPDQ near match" in media[f"{8:032X}"]["Comments"]
    assert "AlternativeHashes" not in media[f"{2:032X}"]
    assert all("RelativeFilePath" not in m for m in case["Media"])  # no copies, hashes only
    assert vics_case(sample_report()) == data  # deterministic


def _case_validate() -> str | None:
    local = Path(sys.executable).parent / "case_validate"
    return str(local) if local.exists() else shutil.which("case_validate")


def test_case_uco_export_validates(tmp_path: Path) -> None:
    tool = _case_validate()
    if tool is None:
        pytest.skip("case_validate (case-utils) not installed")
    data = case_uco(sample_report())
    kinds = [n["@type"] for n in data["@graph"]]
    assert kinds.count("uco-observable:File") == 7
    assert kinds.count("case-investigation:InvestigativeAction") == 1 + 4  # scan + custody
    assert "case-investigation:ProvenanceRecord" in kinds
    out = tmp_path / "case.jsonld"
    out.write_text(json.dumps(data), encoding="utf-8")
    run = subprocess.run([tool, str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Conforms: True" in run.stdout, run.stdout + run.stderr
