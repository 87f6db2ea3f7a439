"""The triage commands, run in-process through the real entry point (exit codes included)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from puente.cli import app as cli_app


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["puente", *args])
        capsys.readouterr()
        code = 0
        try:
            cli_app.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def _case(cli: Any, *extra: str) -> int:
    run = cli(
        "case", "create", "Operación Río", "--country", "ar", "--agency", "UFECI", "--json", *extra
    )
    assert run.code == 0, run.err
    return int(run.json()["id"])


def test_case_create_list_show(cli: Any) -> None:
    case_id = _case(cli, "--reference", "FIS-7/2026")
    listed = cli("case", "list", "--json").json()
    assert [c["title"] for c in listed] == ["Operación Río"]
    shown = cli("case", "show", str(case_id), "--json").json()
    assert shown["country"] == "AR" and shown["reference"] == "FIS-7/2026"
    assert shown["evidence"] == [] and shown["scans"] == []
    table = cli("case", "show", str(case_id))
    assert table.code == 0 and "UFECI" in table.out


def test_evidence_and_custody(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = _case(cli)
    folder = tmp_path / "seized"
    folder.mkdir()
    run = cli(
        "evidence",
        "add",
        str(case_id),
        str(folder),
        "--description",
        "USB stick",
        "--acquired-by",
        "Ana",
        "--acquired-at",
        "2026-03-01T10:30Z",
        "--source-hash",
        "sha256:" + "ab" * 32,
        "--operator",
        "bruno",
        "--json",
    )
    assert run.code == 0, run.err
    ev = run.json()
    assert ev["path"] == str(folder.resolve()) and ev["acquired_at"].startswith("2026-03-01T10:30")
    log = cli("custody", "show", str(case_id), "--json").json()
    assert log["intact"] is True
    assert [(e["action"], e["operator"]) for e in log["entries"]] == [
        ("case_created", "test-operator"),
        ("evidence_registered", "bruno"),
    ]
    verified = cli("custody", "verify", str(case_id))
    assert verified.code == 0 and "verifies: 2 entries" in verified.out
    assert cli("custody", "show", str(case_id)).code == 0


def test_custody_verify_exits_5_naming_the_entry(cli: Any, puente_home: Path) -> None:
    case_id = _case(cli)
    cli("custody", "show", str(case_id))
    engine = sa.create_engine(f"sqlite:///{puente_home / 'puente.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE custody_log SET operator = 'mallory' WHERE seq = 1"))
    engine.dispose()
    run = cli("custody", "verify", str(case_id))
    assert run.code == 5
    assert "seq 1" in run.err and "modified" in run.err
    shown = cli("custody", "show", str(case_id), "--json").json()
    assert shown["intact"] is False and shown["problems"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["case", "show", "99"], 3, "case 99"),
        (["case", "create", "t", "--country", "FR", "--agency", "a"], 2, "FR"),
        (["case", "create", " ", "--country", "AR", "--agency", "a"], 2, "title"),
        (["custody", "verify", "99"], 3, "case 99"),
        (["evidence", "add", "99", ".", "--description", "d"], 3, "case 99"),
    ],
)
def test_bad_input_is_one_clear_error(cli: Any, args: list[str], code: int, needle: str) -> None:
    run = cli(*args)
    assert run.code == code, (run.out, run.err)
    assert needle in run.err and "Traceback" not in run.err


def test_bad_evidence_input_writes_nothing(cli: Any, tmp_path: Path) -> None:
    case_id = str(_case(cli))
    missing = tmp_path / "no-such-folder"
    run = cli("evidence", "add", case_id, str(missing), "--description", "d")
    assert run.code == 2 and "does not exist" in run.err and str(missing) in run.err
    run = cli(
        "evidence", "add", case_id, str(tmp_path), "--description", "d", "--source-hash", "md5:12"
    )
    assert run.code == 2 and "md5" in run.err
    run = cli(
        "evidence",
        "add",
        case_id,
        str(tmp_path),
        "--description",
        "d",
        "--acquired-at",
        "yesterday",
    )
    assert run.code == 2 and "yesterday" in run.err
    assert cli("evidence", "list", case_id, "--json").json() == []
    assert len(cli("custody", "show", case_id, "--json").json()["entries"]) == 1
