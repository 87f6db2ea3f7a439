"""Drafting flow: validate, write documents, store request + custody, all or nothing."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from sqlalchemy import Engine

from puente.drafting.examples import example_facts_dict
from puente.errors import InputError, NotFound, UnknownCountry, ValidationError
from puente.flows.cooperation import draft_request, list_requests, read_facts, set_status
from puente.store.cases import CaseStore

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class _Finding:
    status: str
    citation: str | None
    source: str | None
    as_of: date
    confidence: str | None


class FixedKB:
    """A small fixed knowledge base: (country, criterion) -> status; the rest unknown."""

    def __init__(self, facts: dict[tuple[str, str], str]) -> None:
        self.facts = facts

    def finding(self, country: str, criterion_id: str) -> Any:
        status = self.facts.get((country, criterion_id), "unknown")
        known = status != "unknown"
        return _Finding(
            status,
            f"fixed pack: {country} {criterion_id}" if known else None,
            "tests/flows fixed pack" if known else None,
            date(2026, 1, 1),
            "H" if known else None,
        )

    def country_name(self, code: str, lang: str) -> str:
        return {"BR": "Brasil", "AR": "Argentina", "MX": "México"}.get(code, code)


KB = FixedKB(
    {
        ("AR", "coop.party_budapest"): "met",
        ("BR", "coop.party_budapest"): "met",
        ("MX", "coop.party_budapest"): "not_met",
        ("AR", "coop.party_nassau"): "met",
        ("MX", "coop.party_nassau"): "not_met",
        ("AR", "off.distribution"): "met",
        ("BR", "off.distribution"): "met",
        ("MX", "off.distribution"): "not_met",
    }
)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    # Not tmp_path itself: the autouse PUENTE_HOME lives there too.
    return tmp_path / "out"


@pytest.fixture
def case_id(sqlite_engine: Engine) -> int:
    return CaseStore(sqlite_engine).create_case("Caso", "AR", "UFE", "AR-1", "op", at=NOW).id


def _draft(engine: Engine, case_id: int, out: Path, raw: Any = None, **kw: Any):
    args: dict[str, Any] = {
        "operator": "op",
        "output_dir": out,
        "facts_raw": example_facts_dict() if raw is None else raw,
        "knowledge": KB,
        "now": NOW,
        "formats": ("docx",),  # PDF (WeasyPrint) is slow; one test below writes it
    }
    args.update(kw)
    kind = args.pop("kind", "preservation")
    frm = args.pop("frm", "AR")
    to = args.pop("to", "BR")
    return draft_request(engine, case_id, kind, frm, to, **args)


def _empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from requests")).scalar() or 0)


def test_preservation_ar_to_br_in_portuguese(
    sqlite_engine: Engine, case_id: int, out: Path
) -> None:
    drafted = _draft(sqlite_engine, case_id, out, formats=("docx", "pdf"))
    assert drafted.request.lang == "pt" and drafted.request.status == "draft"
    docx, pdf = drafted.documents
    assert docx.suffix == ".docx" and pdf.suffix == ".pdf"
    paragraphs = [p.text for p in Document(str(docx)).paragraphs]
    assert paragraphs[0].startswith("Pedido de conservação expedita")
    assert sorted(p.name for p in out.iterdir()) == sorted([docx.name, pdf.name])
    custody = CaseStore(sqlite_engine).custody(case_id)
    assert custody[-1].action == "request_drafted"
    assert custody[-1].details["draft_sha256"] == drafted.request.draft_sha256


def test_not_criminalised_in_requested_country_warns(
    sqlite_engine: Engine, case_id: int, out: Path
) -> None:
    raw = example_facts_dict()
    raw["legal_basis"] = {"treaty": "Tratado bilateral AR-MX (ejemplo)", "citation": "art. 1"}
    drafted = _draft(sqlite_engine, case_id, out, raw, kind="mla_generic", to="MX")
    (warning,) = [w for w in drafted.request.warnings if "not criminalised" in w]
    assert "fixed pack: MX off.distribution" in warning
    assert "tests/flows fixed pack" in warning
    assert "tipificada en MX: no (fixed pack: MX off.distribution" in drafted.draft.text


def test_mla_with_no_common_instrument_says_so(
    sqlite_engine: Engine, case_id: int, out: Path
) -> None:
    with pytest.raises(ValidationError, match="no common instrument between AR and MX"):
        _draft(sqlite_engine, case_id, out, kind="mla_generic", to="MX")
    assert _count(sqlite_engine) == 0 and _empty(out)


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(example_facts_dict())
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (_broken(lambda r: r["data"][0].update(value="300.1.2.3")), "not a valid IPv4"),
        (
            _broken(lambda r: r["data"][0].update(timestamp="2026-10-01T14:03:00")),
            "has no time zone",
        ),
        (
            _broken(lambda r: r["data"][0].update(timestamp="2030-10-01T14:03:00Z")),
            "in the future",
        ),
        ([1, 2], "must be a YAML mapping"),
    ],
    ids=["malformed-ip", "no-time-zone", "future-date", "not-a-mapping"],
)
def test_bad_facts_store_nothing(
    sqlite_engine: Engine, case_id: int, out: Path, raw: Any, match: str
) -> None:
    before = len(CaseStore(sqlite_engine).custody(case_id))
    with pytest.raises(ValidationError, match=match):
        _draft(sqlite_engine, case_id, out, raw)
    assert _count(sqlite_engine) == 0
    assert _empty(out)
    assert len(CaseStore(sqlite_engine).custody(case_id)) == before


def test_unknown_country_and_case(sqlite_engine: Engine, case_id: int, out: Path) -> None:
    with pytest.raises(UnknownCountry, match="'US'"):
        _draft(sqlite_engine, case_id, out, to="US")
    with pytest.raises(NotFound, match="case 42"):
        _draft(sqlite_engine, 42, out)
    with pytest.raises(InputError, match="unknown request type"):
        _draft(sqlite_engine, case_id, out, kind="letter")
    assert _count(sqlite_engine) == 0 and _empty(out)


def test_store_failure_leaves_no_documents(sqlite_engine: Engine, case_id: int, out: Path) -> None:
    with pytest.raises(InputError, match="operator"):
        _draft(sqlite_engine, case_id, out, operator="  ")
    assert _count(sqlite_engine) == 0 and _empty(out)


def test_facts_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_facts(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("summary: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        read_facts(bad)


def test_tracking_through_the_flow(sqlite_engine: Engine, case_id: int, out: Path) -> None:
    drafted = _draft(sqlite_engine, case_id, out)
    set_status(sqlite_engine, drafted.request.id, "sent", operator="op", now=NOW)
    due = list_requests(sqlite_engine, due_days=90, now=NOW)
    assert [(r.id, lapsed) for r, lapsed in due] == [(drafted.request.id, False)]
    later = datetime(2027, 3, 1, tzinfo=UTC)
    ((_, lapsed),) = list_requests(sqlite_engine, now=later)
    assert lapsed
    with pytest.raises(InputError, match="unknown status"):
        set_status(sqlite_engine, drafted.request.id, "lost", operator="op")


def test_procedure_documents(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from puente.flows.cooperation import render_procedure_document

    pdf = render_procedure_document("CL", "es", "pdf", tmp_path / "cl.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "Procedimiento armonizado de la red: Chile" in text
    docx = render_procedure_document(None, "pt", "docx", tmp_path / "all.docx")
    paragraphs = [p.text for p in Document(str(docx)).paragraphs]
    assert paragraphs[0] == "Procedimento harmonizado da rede: documento regional"
    assert any("(UY):" in p for p in paragraphs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.docx", "cl.pdf"]
    with pytest.raises(UnknownCountry):
        render_procedure_document("US", "es", "pdf", tmp_path / "us.pdf")
    with pytest.raises(InputError, match="unknown format"):
        render_procedure_document("CL", "es", "odt", tmp_path / "cl.odt")
    assert not (tmp_path / "us.pdf").exists()


def test_case_checklist(sqlite_engine: Engine, case_id: int, out: Path) -> None:
    from puente.flows.cooperation import case_checklist

    drafted = _draft(sqlite_engine, case_id, out)
    set_status(sqlite_engine, drafted.request.id, "sent", operator="op", now=NOW)
    items = case_checklist(sqlite_engine, case_id, "es", mark_done="charge_trial", operator="op")
    done = {i.step_id for i in items if i.done}
    assert done == {"receipt", "preservation", "charge_trial"}
    assert CaseStore(sqlite_engine).custody(case_id)[-1].details == {
        "step": "charge_trial",
        "done": True,
    }
    with pytest.raises(NotFound, match="unknown procedure step"):
        case_checklist(sqlite_engine, case_id, "es", mark_done="lunch", operator="op")
    with pytest.raises(NotFound):
        case_checklist(sqlite_engine, 99, "es")


def test_conduct_by_plain_name_or_refused(sqlite_engine: Engine, case_id: int, out: Path) -> None:
    raw = example_facts_dict()
    raw["offence"]["conduct"] = "distribution"
    drafted = _draft(sqlite_engine, case_id, out, raw)
    assert drafted.draft.facts.offence.conduct == "off.distribution"
    raw["offence"]["conduct"] = "jaywalking"
    with pytest.raises(ValidationError, match="unknown conduct 'jaywalking'"):
        _draft(sqlite_engine, case_id, out, raw)


def test_unwritable_output_is_an_input_error(
    sqlite_engine: Engine, case_id: int, tmp_path: Path
) -> None:
    from puente.flows.cooperation import render_procedure_document

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write"):
        _draft(sqlite_engine, case_id, blocker / "out")
    with pytest.raises(InputError, match="cannot write"):
        render_procedure_document("CL", "es", "html", blocker / "p.html")
    assert _count(sqlite_engine) == 0
