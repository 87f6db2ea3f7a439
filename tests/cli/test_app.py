from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from puente.cli.app import OWNERS, build_app


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "puente", *args], capture_output=True, text=True, check=False
    )


def test_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("puente ")


def test_db_upgrade_and_info(puente_home: Path) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    info = run_cli("db", "info", "--json")
    assert info.returncode == 0
    assert json.loads(info.stdout)["home"] == str(puente_home)


def test_usage_error_exits_non_zero() -> None:
    out = run_cli("db", "no-such-command")
    assert out.returncode == 2


def test_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUENTE_WORKERS", "zero")
    out = run_cli("db", "info")
    assert out.returncode == 2
    assert "PUENTE_WORKERS" in out.stderr
    assert "Traceback" not in out.stderr


def test_demo_runs_the_triage_demo(puente_home: Path) -> None:
    out = run_cli("demo", "--images", "12", "--quiet", "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "report:" in out.stdout
    report = Path(out.stdout.split("report:", 1)[1].split()[0])
    assert report.is_file() and report.parent.parent == puente_home


def test_demo_hashsets_round_trip() -> None:
    out = run_cli("demo", "hashsets", "--count", "3", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["exported"] == result["reimported"] > 0


def _commands(app: typer.Typer) -> set[str]:
    group = typer.main.get_group(app)
    return set(group.commands)


def test_each_command_loads_with_only_its_own_area() -> None:
    everything = _commands(build_app())
    assert everything == set(OWNERS) - {"--version"}
    for command in everything:
        assert command in _commands(build_app(command)), command
    case = typer.main.get_group(build_app("case")).commands["case"]
    assert "checklist" in case.commands  # type: ignore[attr-defined]
