"""The ``puente hashsets`` commands as a user runs them (a real subprocess, real database)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from puente.cli.app import main
from puente.hashsets.samples import media_records, write_nsrl, write_text, write_vics


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run ``puente hashsets …`` in this process (the same main() as the console script)."""

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["puente", "hashsets", *args])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_real_process_exit_code_and_single_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = subprocess.run(
        [sys.executable, "-m", "puente", "hashsets", "import", str(empty), "--name", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {empty}: file is empty (0 bytes)"]


def test_import_list_show_export_stats_diff_delete(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    src = write_vics(tmp_path / "set.json", media_records(50, seed=5), "1.3", bom=True)
    out = cli(
        "import",
        str(src),
        "--name",
        "demo",
        "--owner-country",
        "cl",
        "--owner-agency",
        "PDI",
        "--version",
        "2026.1",
        "--caveats",
        "LE only",
        "--quiet",
    )
    assert out.returncode == 0, out.stderr
    assert "imported demo (vics)" in out.stdout
    listed = json.loads(cli("list", "--json").stdout)
    assert [(s["name"], s["owner_country"], s["status"]) for s in listed] == [
        ("demo", "CL", "complete")
    ]
    shown = json.loads(cli("show", "demo", "--json").stdout)
    assert shown["caveats"] == "LE only" and shown["imports"][0]["format"] == "vics"
    assert sum(shown["by_algorithm"].values()) == shown["entries"]
    exported = tmp_path / "out.json"
    assert cli("export", "demo", "--format", "vics2", "--output", str(exported)).returncode == 0
    assert cli("import", str(exported), "--name", "again", "-q").returncode == 0
    diff = json.loads(cli("diff", "demo", "again", "--json").stdout)
    assert (diff["only_a"], diff["only_b"], diff["category_changed"]) == (0, 0, 0)
    stats = json.loads(cli("stats", "--json").stdout)
    assert {s["name"] for s in stats} == {"demo", "again"}
    assert json.loads(cli("conflicts", "--json").stdout)["total"] == 0
    assert cli("delete", "again", "--yes").returncode == 0
    assert [s["name"] for s in json.loads(cli("list", "--json").stdout)] == ["demo"]


def test_pdq_threshold_per_set(tmp_path: Path, cli: Callable[..., Result]) -> None:
    src = write_text(tmp_path / "set.txt", 5, seed=3)
    out = cli("import", str(src), "--name", "tight", "--pdq-threshold", "12", "-q")
    assert out.returncode == 0, out.stderr
    assert json.loads(cli("show", "tight", "--json").stdout)["pdq_threshold"] == 12
    assert "PDQ threshold default" in cli("threshold", "tight", "default").stdout
    assert json.loads(cli("list", "--json").stdout)[0]["pdq_threshold"] is None
    assert cli("threshold", "tight", "40").returncode == 0
    assert json.loads(cli("show", "tight", "--json").stdout)["pdq_threshold"] == 40
    bad = cli("threshold", "tight", "300")
    assert bad.returncode != 0 and "0 to 256" in bad.stderr
    bad = cli("threshold", "tight", "wide")
    assert bad.returncode != 0 and "'wide'" in bad.stderr
    assert cli("threshold", "missing", "10").returncode != 0
    assert cli("import", str(src), "--name", "x", "--pdq-threshold", "-1").returncode != 0


def test_bad_input_is_one_clear_line_and_nothing_written(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    fake = write_text(tmp_path / "fake.db", 2)
    truncated = tmp_path / "cut.json"
    truncated.write_text(
        write_vics(tmp_path / "ok.json", media_records(5), "2.0").read_text()[:-40]
    )
    cases = [
        (["import", str(empty), "--name", "x"], "0 bytes"),
        (["import", str(fake), "--name", "x", "--format", "nsrl"], "not an SQLite database"),
        (["import", str(truncated), "--name", "x"], "truncated"),
        (["import", str(tmp_path / "nope.txt"), "--name", "x"], "no such file"),
        (["import", str(fake), "--name", "x", "--format", "xml"], "unknown format 'xml'"),
        (["import", str(fake), "--name", "x", "--category", "bad"], "unknown category 'bad'"),
        (["import", str(fake), "--name", "x", "--owner-country", "ARG"], "ISO alpha-2"),
        (["import", str(fake), "--name", " "], "needs a name"),
        (["import", str(fake), "--name", "x", "--format", "vics"], "does not start with '{'"),
    ]
    for args, message in cases:
        out = cli(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert message in out.stderr, (message, out.stderr)
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) <= 3
    assert json.loads(cli("list", "--json").stdout) == []
    assert cli("show", "missing").returncode == 3


def test_rejects_listed_and_strict(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text("a" * 32 + "\n" + "g" * 32 + "\n")
    strict = cli("import", str(path), "--name", "s", "--strict")
    assert strict.returncode == 2 and f"{path}:2" in strict.stderr
    rejects = tmp_path / "rejects.txt"
    out = cli("import", str(path), "--name", "s", "--rejects", str(rejects), "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["rejected"] == 1
    assert rejects.read_text().startswith(f"{path}:2: md5 value is not hexadecimal")


def test_nsrl_and_add_files(tmp_path: Path, cli: Callable[..., Result]) -> None:
    db = write_nsrl(tmp_path / "rds.db", 20)
    assert cli("import", str(db), "--name", "nsrl", "-q").returncode == 0
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "a.txt").write_text("benign")
    out = cli("add-files", "curated", str(ref), "--category", "comparison", "-q")
    assert out.returncode == 0, out.stderr
    stats = {s["name"]: s for s in json.loads(cli("stats", "--json").stdout)}
    assert stats["nsrl"]["by_category"] == {"known_good": 60}
    icse = cli("export", "curated", "--format", "icse", "--output", str(tmp_path / "i.csv"))
    assert icse.returncode == 0
    assert "1 entries of curated not exported" in icse.stderr
    assert stats["curated"]["by_category"] == {"comparison": 3}


def test_add_files_pdq_notes_errors_and_text_round_trip(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    import numpy as np
    from PIL import Image

    ref = tmp_path / "ref"
    ref.mkdir()
    rng = np.random.default_rng(3)
    blocks = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(np.kron(blocks, np.ones((16, 16, 1), np.uint8))).save(ref / "a.png")
    Image.new("RGB", (32, 32), (9, 9, 9)).save(ref / "flat.png")
    (ref / "cut.png").write_bytes((ref / "a.png").read_bytes()[:100])
    out = cli("add-files", "curated", str(ref), "--category", "comparison", "-q", "--no-views")
    assert out.returncode == 0, out.stderr
    assert "3 files hashed (2 PDQ, 0 vPDQ, 0 PDQ views), 11 entries added" in out.stdout
    assert "note:" in out.stderr and "flat.png" in out.stderr and "quality" in out.stderr
    assert "cut.png: PDQ not computed: FormatError" in out.stderr.replace("\n", " ")
    txt = tmp_path / "c.txt"
    assert cli("export", "curated", "--format", "text", "--output", str(txt)).returncode == 0
    assert "# algorithm: pdq" in txt.read_text()
    back = cli("import", str(txt), "--name", "back", "--category", "comparison", "-q")
    assert back.returncode == 0, back.stderr
    stats = {s["name"]: s for s in json.loads(cli("stats", "--json").stdout)}
    assert stats["back"]["by_algorithm"] == stats["curated"]["by_algorithm"]
    assert stats["back"]["by_algorithm"]["pdq"] == 2


def test_add_files_stores_index_views(tmp_path: Path, cli: Callable[..., Result]) -> None:
    import numpy as np
    from PIL import Image

    from puente.cli.common import engine
    from puente.store.hashsets import HashSetStore

    ref = tmp_path / "ref"
    ref.mkdir()
    rng = np.random.default_rng(5)
    blocks = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    Image.fromarray(np.kron(blocks, np.ones((20, 20, 1), np.uint8))).save(ref / "a.png")
    out = cli("add-files", "viewed", str(ref), "--category", "comparison", "-q")
    assert out.returncode == 0, out.stderr
    entries = list(HashSetStore(engine()).iter_entries("viewed"))
    views = [e for e in entries if "pdq_view" in e.metadata]
    assert len(views) > 50 and f"{len(views)} PDQ views" in out.stdout
    sha256 = next(e.value for e in entries if e.algorithm == "sha256")
    assert {(e.algorithm, e.source_id, e.metadata["view_of"]) for e in views} == {
        ("pdq", sha256, sha256)
    }
    assert {"crop10-tl", "cut25-bottom", "rot+3"} <= {e.metadata["pdq_view"] for e in views}
