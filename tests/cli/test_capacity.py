from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from puente.cli.app import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run the real entry point in-process (exit codes and error lines as a user sees them)."""

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["puente", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_template_import_show_compare(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    out = run_cli("capacity", "examples", "--output", str(tmp_path / "ex"), "--format", "xlsx")
    assert out.returncode == 0, out.stderr
    files = sorted((tmp_path / "ex").glob("FICTITIOUS-CL-police-*.xlsx"))
    assert len(files) == 2
    for f in files:
        res = run_cli("capacity", "import", str(f), "--json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["fictitious"] is True
    again = run_cli("capacity", "import", str(files[0]))
    assert again.returncode == 4 and "already stored" in again.stderr
    show = json.loads(run_cli("capacity", "show", "CL", "--json").stdout)
    assert show["fictitious"] is True
    assert [a["institution"] for a in show["assessments"]] == ["police", "police"]
    assert set(show["country_score"]["domains"]) >= {"policy", "investigation"}
    cmp = run_cli("capacity", "compare", "CL", "--institution", "police", "--json")
    assert cmp.returncode == 0, cmp.stderr
    assert json.loads(cmp.stdout)["before"] < json.loads(cmp.stdout)["after"]
    region = json.loads(run_cli("capacity", "region", "--json").stdout)
    assert len(region["countries"]) == 13
    assessed = [c for c in region["countries"] if c["overall"] is not None]
    assert [c["country"] for c in assessed] == ["CL"]
    assert region["domain_means"] == show["country_score"]["domains"]
    table = run_cli("capacity", "show", "CL", "--lang", "pt")
    assert "Política e governança" in table.stdout and "FICTITIOUS" in table.stdout
    # Every label in the operator's language, not only the domain names.
    flat = " ".join(table.stdout.split())
    assert "Domínio" in flat and "Global" in flat and "Polícia" in flat
    assert "overall" not in flat and "domain" not in flat and "police 20" not in flat
    cmp_es = " ".join(
        run_cli(
            "capacity", "compare", "CL", "--institution", "police", "--lang", "es"
        ).stdout.split()
    )
    assert "Antes" in cmp_es and "Después" in cmp_es and "before" not in cmp_es
    region_es = " ".join(run_cli("capacity", "region", "--lang", "es").stdout.split())
    # (a narrow test terminal truncates the wide table's cells; the title and needs fit)
    assert "Región" in region_es and "legal_reform" not in region_es
    assert any(w in region_es for w in ("Formación", "Reforma legal", "Personal", "Cooperación"))


def test_template_then_bad_import_names_cells_and_stores_nothing(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    path = tmp_path / "q.xlsx"
    out = run_cli("capacity", "template", "--lang", "en", "--output", str(path))
    assert out.returncode == 0, out.stderr
    wb = openpyxl.load_workbook(path)
    wb["Details"]["B4"] = "FR"
    wb["Assessment"]["H2"] = 7
    wb.save(path)
    res = run_cli("capacity", "import", str(path))
    assert res.returncode == 2
    assert "Details!B4: unknown country 'FR'" in res.stderr
    assert "Assessment!H2: level 7" in res.stderr
    assert "Assessment!H3: missing level" in res.stderr
    empty = run_cli("capacity", "show", "AR", "--json")
    assert json.loads(empty.stdout)["assessments"] == []


def test_bad_arguments(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    assert (
        run_cli(
            "capacity", "template", "--lang", "fr", "--output", str(tmp_path / "t.xlsx")
        ).returncode
        == 2
    )
    assert (
        run_cli("capacity", "template", "--lang", "es", "--output", str(tmp_path)).returncode == 2
    )
    assert not (tmp_path / "t.xlsx").exists()
    unknown = run_cli("capacity", "show", "ZZ")
    assert unknown.returncode == 2 and "ZZ" in unknown.stderr
    missing = run_cli("capacity", "import", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 2 and "nope.xlsx" in missing.stderr
    cmp = run_cli("capacity", "compare", "AR", "--institution", "police")
    assert cmp.returncode == 3
    bad_date = run_cli("capacity", "compare", "AR", "--institution", "police", "--before", "x")
    assert bad_date.returncode == 2 and "--before" in bad_date.stderr
    nothing = run_cli("capacity", "examples")
    assert nothing.returncode == 2 and "--output" in nothing.stderr
    fmt = run_cli("capacity", "examples", "--output", str(tmp_path / "ex"), "--format", "csv")
    assert fmt.returncode == 2 and "csv" in fmt.stderr


def test_conclusions_bad_arguments(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    out = tmp_path / "c.html"
    for args, fragment in (
        (("--lang", "fr"), "fr"),
        (("--format", "odt"), "odt"),
        (("--date", "28/11/2026"), "28/11/2026"),
    ):
        res = run_cli("conclusions", "--output", str(out), *args)
        assert res.returncode == 2 and fragment in res.stderr
    assert not out.exists()


@pytest.mark.slow
def test_conclusions_from_loaded_examples(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    assert run_cli("capacity", "examples", "--load").returncode == 0
    out = tmp_path / "c.html"
    res = run_cli(
        "conclusions",
        "--lang",
        "en",
        "--format",
        "html",
        "--output",
        str(out),
        "--date",
        "2026-11-28",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["fictitious"] is True and info["countries_assessed"] == 13
    html = out.read_text(encoding="utf-8")
    assert "Issued: 2026-11-28" in html and "FICTITIOUS EXAMPLE DATA" in html
