from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from puente.cli.app import app

PACKS = Path(__file__).parents[1] / "legal" / "packs"
runner = CliRunner()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "puente", *args], capture_output=True, text=True, check=False
    )


def fails(*args: str) -> str:
    """Run in-process; the command must raise a PuenteError (exit code 2 in main())."""
    from puente.errors import InputError

    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, InputError), (result.output, result.exception)
    return str(result.exception)


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_validate_bundled_and_test_pack() -> None:
    assert "34 criteria" in invoke("legal", "validate")
    out = json.loads(invoke("legal", "validate", str(PACKS), "--json"))
    assert out == {"ok": True, "problems": [], "countries": ["AR", "BR", "MX"]}


def test_validate_bad_pack_names_file_and_key(tmp_path: Path) -> None:
    text = (PACKS / "ar.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "ar.yaml"
    bad.write_text(text.replace("country: AR", "country: AQ"), encoding="utf-8")
    bad.write_text(
        text.replace("country: AR", "country: AQ").replace("off.possession:", "off.posession:"),
        encoding="utf-8",
    )
    out = cli("legal", "validate", str(bad))
    assert out.returncode == 2
    assert f"{bad}: country" in out.stderr and "'AQ'" in out.stderr
    # A bad country code does not hide the other problems of the file.
    assert f"{bad}: criteria.off.posession: unknown criterion id" in out.stderr
    assert f"{bad}: criteria.off.possession: missing" in out.stderr
    assert "Traceback" not in out.stderr
    # Each problem once, then one line that counts them.
    assert out.stderr.count("'AQ'") == 1
    assert out.stderr.strip().splitlines()[-1] == f"error: {bad}: 3 problem(s), listed above"


def test_validate_duplicate_key_is_one_clear_line(tmp_path: Path) -> None:
    text = (PACKS / "ar.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "ar.yaml"
    bad.write_text(text + "  off.possession:\n    status: unknown\n", encoding="utf-8")
    msg = fails("legal", "validate", str(bad))
    assert "ar.yaml" in msg and "duplicate key 'off.possession'" in msg


def test_show_json_and_criterion() -> None:
    data = json.loads(invoke("legal", "show", "BR", "--packs", str(PACKS), "--json"))
    assert data["country"] == "BR" and len(data["findings"]) == 34
    one = json.loads(
        invoke(
            "legal", "show", "br", "--criterion", "off.grooming", "--packs", str(PACKS), "--json"
        )
    )
    (f,) = one["findings"]
    assert f["status"] == "partial" and "241-D" in f["citation"]
    assert f["baseline"][0]["citation"] == "Lanzarote Convention, Art. 23"
    assert "241-D" in invoke(
        "legal", "show", "BR", "--criterion", "off.grooming", "--packs", str(PACKS), "--lang", "en"
    )


def test_show_unknown_country_exits_2() -> None:
    assert "ZZ" in fails("legal", "show", "ZZ", "--packs", str(PACKS))


def test_compare() -> None:
    data = json.loads(invoke("legal", "compare", "AR", "MX", "--packs", str(PACKS), "--json"))
    assert data["MX"]["coop.party_budapest"]["status"] == "not_met"
    assert data["AR"]["coop.party_budapest"]["status"] == "met"
    assert "coop.party_budapest" in invoke("legal", "compare", "AR", "MX", "--packs", str(PACKS))


def test_diff(tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    for p in PACKS.glob("*.yaml"):
        text = p.read_text(encoding="utf-8")
        if p.name == "ar.yaml":
            text = text.replace("status: partial", "status: met", 1)
        (new / p.name).write_text(text, encoding="utf-8")
    data = json.loads(invoke("legal", "diff", str(PACKS), str(new), "--json"))
    assert [(c["country"], c["criterion_id"], c["kind"]) for c in data] == [
        ("AR", "coop.party_budapest_protocol2", "status")
    ]
    assert "no changes" in invoke("legal", "diff", str(PACKS), str(PACKS))


def test_basis_json() -> None:
    data = json.loads(
        invoke(
            "legal", "basis", "--from", "AR", "--to", "MX", "--conduct", "possession",
            "--packs", str(PACKS), "--json",
        )
    )  # fmt: skip
    assert data["criterion"] == "off.possession" and data["criminalised_both"] == "yes"
    assert {f["country"] for f in data["findings"]} == {"AR", "MX"}
    assert {c["id"] for c in data["channels"]} == {"24_7", "central_authority", "ibera"}
    assert any(u["criterion"] == "coop.party_medellin" for u in data["unknowns"])


def test_basis_unknown_conduct_exits_2() -> None:
    msg = fails("legal", "basis", "--from", "AR", "--to", "MX", "--conduct", "loitering")
    assert "unknown conduct 'loitering'" in msg


def test_gaps_table_and_json() -> None:
    assert "off.grooming" in invoke("gaps", "BR", "--packs", str(PACKS), "--lang", "en")
    data = json.loads(invoke("gaps", "--all", "--format", "json", "--packs", str(PACKS)))
    assert [d["country"] for d in data] == ["AR", "BR", "MX"]
    br = data[1]
    assert br["gaps"]["offences"][0]["criterion"] == "off.grooming"
    assert br["gaps"]["offences"][0]["measures"][0]["model"] == ["Lanzarote Convention, Art. 23"]
    assert "off.sextortion" in {r["criterion"] for r in br["research_to_do"]}


def test_gaps_documents(tmp_path: Path) -> None:
    for fmt in ("html", "DOCX"):  # the format name in any case
        out = tmp_path / f"gaps.{fmt.lower()}"
        invoke("gaps", "--all", "--format", fmt, "--output", str(out), "--packs", str(PACKS))
        assert out.stat().st_size > 1000
    assert not list(tmp_path.glob(".*part*"))


def test_gaps_needs_country_or_all_and_output(tmp_path: Path) -> None:
    assert "--all" in fails("gaps")
    assert "--output" in fails("gaps", "AR", "--format", "pdf")
    assert "xls" in fails("gaps", "AR", "--format", "xls", "--output", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
    assert "--output is for html" in fails("gaps", "AR", "--output", str(tmp_path / "x.txt"))
    assert not (tmp_path / "x.txt").exists()


def test_matrix_files(tmp_path: Path) -> None:
    html = tmp_path / "m.html"
    invoke("legal", "matrix", "--format", "html", "--output", str(html), "--packs", str(PACKS))
    assert "coop.party_budapest" in html.read_text(encoding="utf-8")
    png = tmp_path / "m.png"
    invoke("legal", "matrix", "--format", "png", "--output", str(png), "--packs", str(PACKS))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert ".png" in fails(
        "legal", "matrix", "--format", "png", "--output", str(tmp_path / "m.jpg")
    )
    assert not (tmp_path / "m.jpg").exists()


def test_unwritable_output_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for fmt in ("html", "docx"):
        out = blocker / f"gaps.{fmt}"  # a path below a regular file cannot be created
        msg = fails("gaps", "BR", "--format", fmt, "--output", str(out), "--packs", str(PACKS))
        assert msg.startswith(f"{out}: cannot write"), msg
    msg = fails("legal", "matrix", "--format", "png", "--output", str(blocker / "m.png"))
    assert "cannot write" in msg
    assert "is a folder" in fails(
        "gaps", "BR", "--format", "html", "--output", str(tmp_path), "--packs", str(PACKS)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_tables_speak_the_chosen_language() -> None:
    es = invoke(
        "legal", "show", "BR", "--criterion", "off.grooming", "--packs", str(PACKS), "--lang", "es"
    )
    assert "Estado" in es and "Parcial" in es and "Convenio de Lanzarote" in es
    assert "Resumen" in es and "Engatusar a un niño" in es and "Luring" not in es
    assert "…" not in es  # long cells wrap, never cut
    pt = invoke("gaps", "BR", "--packs", str(PACKS), "--lang", "pt")
    assert "Situação" in pt and "~ Parcial" in pt and "~ partial" not in pt
    basis = invoke(
        "legal", "basis", "--from", "AR", "--to", "MX", "--conduct", "possession",
        "--packs", str(PACKS), "--lang", "pt",
    )  # fmt: skip
    assert "Tipificado em ambos: Sim" in basis
    assert "Convenção de Budapeste" in basis and "Rede 24/7" in basis
    assert "não se sabe" in basis and "whether both" not in basis  # channel reasons too
    en = invoke("legal", "compare", "AR", "MX", "--packs", str(PACKS), "--lang", "en")
    assert "Country comparison" in en and "✗ Not met" in en


def test_no_country_pack_and_repeated_country_are_clear_errors(tmp_path: Path) -> None:
    only_baseline = tmp_path / "baseline"
    only_baseline.mkdir()
    (only_baseline / "x.yaml").write_text("kind: measures\nmeasures: []\n", encoding="utf-8")
    msg = fails("gaps", "--all", "--packs", str(only_baseline))
    assert msg.startswith(f"{only_baseline}: no country pack")
    out = tmp_path / "m.html"
    assert "no country pack" in fails(
        "legal", "matrix", "--output", str(out), "--packs", str(only_baseline)
    )
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no pack files" in fails("legal", "validate", str(empty))
    assert "AR given more than once" in fails("legal", "compare", "AR", "ar", "--packs", str(PACKS))


def test_diff_against_a_one_country_draft(tmp_path: Path) -> None:
    """The documented workflow: a draft folder with only the corrected country."""
    draft = tmp_path / "draft"
    draft.mkdir()
    text = (PACKS / "ar.yaml").read_text(encoding="utf-8")
    (draft / "ar.yaml").write_text(text.replace("status: partial", "status: met", 1), "utf-8")
    out = invoke("legal", "diff", str(PACKS), str(draft))
    assert "1 change(s)" in out and "coop.party_budapest_protocol2" in out
    assert "removed" not in out
    assert "(not compared): BR, MX" in out.replace("\n", "")


def test_show_marks_english_research_notes() -> None:
    out = invoke("legal", "show", "AR", "--lang", "es")  # bundled packs: notes in English
    assert "inglés" in out and "research to do:" not in out
