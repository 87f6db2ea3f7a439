from __future__ import annotations

from pathlib import Path

from puente.legal.catalog import load_catalog
from puente.legal.diff import diff

TEST_PACKS = Path(__file__).parent / "packs"


def test_diff_reports_status_and_citation_changes(tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    for p in TEST_PACKS.glob("*.yaml"):
        (new / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    mx = new / "mx.yaml"
    text = mx.read_text(encoding="utf-8")
    text = text.replace(
        "  off.sextortion:\n    status: unknown\n    note: research to do\n",
        "  off.sextortion:\n    status: not_met\n    citation: CPF (none found)\n"
        "    source: https://example.org/review\n    confidence: L\n",
    )
    text = text.replace("art. 199 Septies", "art. 199 Septies (DOF 15-06-2018)")
    mx.write_text(text, encoding="utf-8")
    (new / "br.yaml").unlink()
    changes = diff(load_catalog([TEST_PACKS]), load_catalog([new]))
    kinds = {(c.country, c.criterion_id, c.kind) for c in changes}
    assert kinds == {
        ("BR", "*", "removed"),
        ("MX", "off.sextortion", "status"),
        ("MX", "off.grooming", "citation"),
    }
    status = next(c for c in changes if c.kind == "status")
    assert (status.old_status, status.new_status) == ("unknown", "not_met")


def test_no_changes() -> None:
    assert diff(load_catalog([TEST_PACKS]), load_catalog([TEST_PACKS])) == ()
