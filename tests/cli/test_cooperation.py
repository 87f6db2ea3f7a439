"""The cooperation commands through the real entry point, with the bundled legal packs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from puente.cli.common import engine
from puente.drafting.examples import example_facts_dict


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(example_facts_dict(), allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def case(cli: Any) -> str:
    assert cli("case", "create", "Operación", "--country", "AR", "--agency", "UFE").code == 0
    return "1"


def _requests() -> int:
    with engine().connect() as conn:
        return int(conn.execute(sa.text("select count(*) from requests")).scalar() or 0)


def test_draft_list_status(cli: Any, case: str, facts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli(
        "request",
        "draft",
        case,
        "--type",
        "preservation",
        "--from",
        "AR",
        "--to",
        "BR",
        "--facts",
        str(facts),
        "--output-dir",
        str(out),
        "--json",
    )
    assert run.code == 0, run.err
    data = run.json()
    assert data["request"]["lang"] == "pt"
    assert sorted(Path(p).suffix for p in data["documents"]) == [".docx", ".pdf"]
    assert all(Path(p).is_file() for p in data["documents"])

    assert cli("request", "status", "1", "sent", "--note", "por correo").code == 0
    listed = cli("request", "list", "--due", "100", "--json").json()
    assert [r["status"] for r in listed] == ["sent"]
    assert listed[0]["deadlines"]["expires_at"]
    assert cli("request", "list", "--due", "10", "--json").json() == []
    table = cli("request", "list")
    assert table.code == 0 and "sent" in table.out

    refused = cli("request", "status", "1", "draft")
    assert refused.code == 4 and "cannot become draft" in refused.err
    custody = cli("custody", "show", case, "--json")
    if custody.code == 0:  # the triage area's command; checked when present
        assert "request_status" in custody.out


def test_draft_lists_every_problem(cli: Any, case: str, tmp_path: Path) -> None:
    raw = example_facts_dict()
    raw["data"][0]["value"] = "10.0.0.999"
    raw["data"][0]["timestamp"] = "2026-10-01T10:00:00"
    raw["dates"] = {"seized": "2099-01-01T00:00:00Z"}
    del raw["necessity"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    run = cli(
        "request",
        "draft",
        case,
        "--type",
        "preservation",
        "--from",
        "AR",
        "--to",
        "BR",
        "--facts",
        str(path),
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert run.code == 2
    for needle in ("not a valid IPv4", "has no time zone", "in the future", "necessity"):
        assert needle in run.err
    assert "nothing drafted or stored" in run.err
    assert _requests() == 0 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "AR", "--to", "ZZ"], 2, "'ZZ' is not in the network"),
        (["--from", "XX", "--to", "BR"], 2, "'XX' is not in the network"),
        (["--from", "AR", "--to", "BR", "--lang", "fr"], 2, "unknown language"),
    ],
)
def test_bad_input(
    cli: Any, case: str, facts: Path, args: list[str], code: int, message: str
) -> None:
    run = cli("request", "draft", case, "--type", "preservation", "--facts", str(facts), *args)
    assert run.code == code and message in run.err
    assert _requests() == 0


def test_unknown_case_and_request(cli: Any, facts: Path) -> None:
    run = cli(
        "request",
        "draft",
        "7",
        "--type",
        "preservation",
        "--from",
        "AR",
        "--to",
        "BR",
        "--facts",
        str(facts),
    )
    assert run.code == 3 and "case 7 does not exist" in run.err
    run = cli("request", "status", "9", "sent")
    assert run.code == 3 and "request 9 does not exist" in run.err
    assert cli("request", "status", "9", "lost").code == 2


def test_procedure_render_and_checklist(cli: Any, case: str, tmp_path: Path) -> None:
    target = tmp_path / "cl.html"
    run = cli(
        "procedure",
        "render",
        "--country",
        "CL",
        "--lang",
        "es",
        "--format",
        "html",
        "--output",
        str(target),
    )
    assert run.code == 0, run.err
    assert "Procedimiento armonizado de la red: Chile" in target.read_text(encoding="utf-8")
    both = cli("procedure", "render", "--country", "CL", "--all")
    assert both.code == 2 and "exactly one" in both.err
    assert cli("procedure", "render", "--country", "QQ").code == 2

    run = cli("case", "checklist", case, "--json")
    assert run.code == 0, run.err
    items = run.json()
    assert items[0]["step_id"] == "receipt" and items[0]["done"] is True
    assert cli("case", "checklist", case, "--done", "victim_identification").code == 0
    items = cli("case", "checklist", case, "--json").json()
    assert {i["step_id"] for i in items if i["done"]} == {"receipt", "victim_identification"}
    table = cli("case", "checklist", case, "--lang", "pt")
    assert "pendente" in table.out
    assert cli("case", "checklist", "77").code == 3


def test_example_facts_file_drafts(cli: Any, case: str, tmp_path: Path) -> None:
    run = cli("request", "example")
    assert run.code == 0
    path = tmp_path / "facts.yaml"
    path.write_text(run.out, encoding="utf-8")
    run = cli(
        "request",
        "draft",
        case,
        "--type",
        "preservation",
        "--from",
        "AR",
        "--to",
        "CL",
        "--facts",
        str(path),
        "--output-dir",
        str(tmp_path / "out"),
        "--json",
        "--html",
    )
    assert run.code == 0, run.err
    assert sorted(Path(p).suffix for p in run.json()["documents"]) == [".docx", ".html", ".pdf"]


def test_facts_not_a_mapping_is_one_line(cli: Any, case: str, tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    run = cli(
        "request", "draft", case, "--type", "preservation", "--from", "AR", "--to", "BR",
        "--facts", str(path),
    )  # fmt: skip
    assert run.code == 2
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "must be a YAML mapping of fields, not a list" in lines[0]
    assert "Traceback" not in run.err and _requests() == 0


@pytest.mark.parametrize(
    ("to", "lang", "label", "words"),
    [
        ("BR", "pt", "aviso:", "ponto de contato 24/7) do Brasil não consta"),
        ("BR", "es", "aviso:", "punto de contacto 24/7) de BR no figura"),
    ],
)
def test_draft_warnings_speak_the_drafts_language(
    cli: Any, case: str, facts: Path, tmp_path: Path, to: str, lang: str, label: str, words: str
) -> None:
    run = cli(
        "request", "draft", case, "--type", "preservation", "--from", "AR", "--to", to,
        "--lang", lang, "--facts", str(facts), "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert run.code == 0, run.err
    err = " ".join(run.err.split())
    assert label in err and words in err
    if lang != "en":
        assert "warning:" not in err and "unknown in the channels pack" not in err


def test_deadlines_show_the_requesting_countrys_date() -> None:
    from datetime import UTC, datetime

    from puente.cli.cooperation import _day

    # Sent 21:00 in Mexico City = 03:00 UTC the next day: the local day is the one to show.
    at = datetime(2027, 2, 26, 3, 0, tzinfo=UTC)
    assert _day(at, "MX") == "2027-02-25" and _day(at, "ES") == "2027-02-26"
    assert _day(None, "MX") == ""
