"""The triage commands, run in-process through the real entry point (exit codes included)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa


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


def _scanned_case(cli: Any, tmp_path: Path) -> tuple[str, Path]:
    root = tmp_path / "evidence"
    (root / "docs").mkdir(parents=True)
    for i in range(3):
        (root / "docs" / f"doc{i}.txt").write_text(f"benign {i}\n")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep/x.txt", "inner member")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("a.txt", "member")
        zf.writestr("inner.zip", inner.getvalue())
    (root / "outer.zip").write_bytes(outer.getvalue())
    (root / "broken.zip").write_bytes(outer.getvalue()[:-40])
    (root / "empty.dat").write_bytes(b"")
    (root / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name")
    case_id = str(_case(cli))
    assert cli("evidence", "add", case_id, str(root), "--description", "stick").code == 0
    return case_id, root


def test_scan_and_results(cli: Any, tmp_path: Path) -> None:
    case_id, _ = _scanned_case(cli, tmp_path)
    run = cli("scan", case_id, "1", "--workers", "1", "--json")
    assert run.code == 0, run.err
    summary = run.json()
    assert summary["scan"]["status"] == "finished" and summary["counts"]["files"] == 7
    rows = cli("results", case_id, "--format", "json").json()
    assert any(r["path"] == "outer.zip!/inner.zip!/deep/x.txt" for r in rows)
    assert all(len(r["sha256"]) == 64 for r in rows if r["status"] == "ok")
    csv_out = cli("results", case_id, "--format", "csv").out.splitlines()
    assert csv_out[0].startswith("scan,path,size,kind,md5") and len(csv_out) == len(rows) + 1
    assert cli("results", case_id, "--matched", "--json").json() == []
    table = cli("results", case_id)
    assert table.code == 0 and "Results of case" in table.out
    quiet = cli("scan", case_id, "1", "--workers", "1", "--quiet")
    assert quiet.code == 0 and "finished" in quiet.out
    # The progress bar (stderr) and worker processes; same records as the one-worker scan.
    shown = cli("scan", case_id, "1", "--workers", "2")
    assert shown.code == 0 and "files 7/7" in shown.err, shown.err
    again = cli("results", case_id, "--format", "json").json()
    key = [(r["path"], r["md5"], r["status"], r["detail"]) for r in rows]
    assert [(r["path"], r["md5"], r["status"], r["detail"]) for r in again] == key
    # A resume with nothing unfinished is refused; an unknown set is named.
    assert cli("scan", case_id, "1", "--resume").code == 4
    unknown = cli("scan", case_id, "1", "--hashsets", "no-such-set")
    assert unknown.code == 3 and "no-such-set" in unknown.err
    unknown = cli("scan", case_id, "1", "--hashsets", "other-set,no-such-set")
    assert unknown.code == 3 and "set" in unknown.err


def test_scan_bad_input(cli: Any, tmp_path: Path) -> None:
    case_id, root = _scanned_case(cli, tmp_path)
    assert cli("scan", "99", "1").code == 3
    run = cli("scan", case_id, "7")
    assert run.code == 3 and "evidence 7" in run.err
    for child in sorted(root.rglob("*"), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    root.rmdir()
    run = cli("scan", case_id, "1", "--quiet")
    assert run.code == 6 and "does not exist" in run.err
    assert cli("results", "99").code == 3
    bad = cli("results", case_id, "--category", "cats")
    assert bad.code == 2 and "cats" in bad.err and "csam" in bad.err


def test_report_and_export_commands(cli: Any, tmp_path: Path) -> None:
    case_id, _ = _scanned_case(cli, tmp_path)
    assert cli("scan", case_id, "1", "--workers", "1", "--quiet").code == 0
    out = tmp_path / "out"
    run = cli(
        "report", case_id, "--format", "html", "--lang", "pt", "--output", str(out / "r.html")
    )
    assert run.code == 0, run.err
    assert 'lang="pt"' in (out / "r.html").read_text(encoding="utf-8")
    assert cli("report", case_id, "--format", "json", "--output", str(out / "r.json")).code == 0
    assert json.loads((out / "r.json").read_text())["case"]["id"] == int(case_id)
    run = cli("export", case_id, "--format", "vics", "--output", str(out / "v.json"))
    assert run.code == 0 and json.loads((out / "v.json").read_text())["value"][0]["Media"]
    run = cli("export", case_id, "--format", "case", "--output", str(out / "c.jsonld"))
    assert run.code == 0 and (out / "c.jsonld").exists()
    actions = [e["action"] for e in cli("custody", "show", case_id, "--json").json()["entries"]]
    assert actions.count("report_generated") == 2 and actions.count("export") == 2
    for args, code in [
        (["report", case_id, "--format", "docx"], 2),
        (["report", case_id, "--lang", "fr"], 2),
        (["report", "99"], 3),
        (["export", case_id, "--format", "xml", "--output", str(out / "x")], 2),
        (["export", "99", "--format", "vics", "--output", str(out / "y")], 3),
    ]:
        run = cli(*args)
        assert run.code == code, (args, run.err)
        assert "Traceback" not in run.err
    assert not (out / "x").exists() and not (out / "y").exists()


def test_run_demo_prints_report_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    from puente.cli import triage as cli_triage

    report = cli_triage.run_demo(quiet=True, lang="en", images=20)
    out = capsys.readouterr().out
    assert report.exists() and str(report) in out.replace("\n", "")
    assert "matched the demo set" in out


def test_scan_matches_named_sets(cli: Any, tmp_path: Path) -> None:
    from puente.cli.common import engine
    from puente.flows import hashsets as hashset_flows

    case_id, root = _scanned_case(cli, tmp_path)
    hashset_flows.add_files(engine(), "set-a", [root / "docs" / "doc0.txt"], "csam")
    hashset_flows.add_files(engine(), "set-b", [root / "docs" / "doc1.txt"], "known_good")
    run = cli("scan", case_id, "1", "--workers", "1", "--hashsets", "set-a,set-b", "--json")
    assert run.code == 0, run.err
    summary = run.json()
    assert summary["counts"]["matched"] == 2
    assert sorted(h["name"] for h in summary["scan"]["hashsets"]) == ["set-a", "set-b"]
    only_a = cli("scan", case_id, "1", "--workers", "1", "--hashsets", "set-a", "--json")
    assert only_a.json()["counts"]["matched"] == 1
    rows = cli("results", case_id, "--category", "csam", "--json").json()
    assert [(r["path"], r["sets"]) for r in rows] == [("docs/doc0.txt", "set-a")]


def test_results_show_perceptual_matches_beside_exact_ones(cli: Any, tmp_path: Path) -> None:
    import csv as csv_module

    from PIL import Image, ImageDraw

    from puente.cli.common import engine
    from puente.flows import hashsets as hashset_flows
    from puente.hashing.pdq import hash_image
    from puente.hashsets.model import Entry
    from puente.store.hashsets import HashSetStore

    root = tmp_path / "evidence"
    root.mkdir()
    img = Image.new("RGB", (240, 240), (30, 120, 200))
    draw = ImageDraw.Draw(img)
    draw.ellipse((20, 40, 150, 200), fill=(250, 210, 0))
    draw.rectangle((130, 10, 230, 120), fill=(200, 20, 60))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    (root / "foto.png").write_bytes(buf.getvalue())
    (root / "nota.txt").write_text("benign\n")
    case_id = str(_case(cli))
    assert cli("evidence", "add", case_id, str(root), "--description", "stick").code == 0
    # The set lists the note's bytes (exact) and the picture mirrored (perceptual only).
    hashset_flows.add_files(engine(), "set-p", [root / "nota.txt"], "csam")
    mirrored = io.BytesIO()
    img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored, "PNG")
    store = HashSetStore(engine())
    info = store.get_set("set-p")
    assert info.id is not None
    store.add_entries(info.id, [Entry("pdq", hash_image(mirrored.getvalue()).hash_hex, "csam")])
    assert cli("scan", case_id, "1", "--workers", "1", "--json").code == 0
    rows = {r["path"]: r for r in cli("results", case_id, "--matched", "--json").json()}
    assert sorted(rows) == ["foto.png", "nota.txt"]
    (m,) = rows["foto.png"]["matches"]
    assert m["algorithm"] == "pdq" and m["variant"] == "flipy" and m["distance"] <= 31
    assert (
        m["quality"] == rows["foto.png"]["pdq_quality"]
        and len(rows["foto.png"]["pdq_dihedral"]) == 8
    )
    assert rows["nota.txt"]["matches"][0]["algorithm"] in ("md5", "sha1", "sha256")
    assert rows["nota.txt"]["pdq"] is None
    out = cli("results", case_id, "--matched", "--format", "csv").out
    parsed = {r["path"]: r for r in csv_module.DictReader(io.StringIO(out))}
    assert (
        "pdq distance" in parsed["foto.png"]["matches"] and "flipy" in parsed["foto.png"]["matches"]
    )
    assert parsed["foto.png"]["pdq"] == rows["foto.png"]["pdq"]
    assert "exact set-p" in parsed["nota.txt"]["matches"]
    table = cli("results", case_id, "--matched")
    assert table.code == 0 and "flipy" in table.out
