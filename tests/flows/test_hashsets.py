"""Import/export flows on SQLite and PostgreSQL: round trips, strict mode, resume, rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from puente.errors import Conflict, FormatError, ValidationError
from puente.flows import hashsets as flow
from puente.hashsets.formats.base import ReadOptions
from puente.hashsets.model import Entry, HashSetInfo
from puente.hashsets.samples import media_records, write_icse, write_nsrl, write_text, write_vics
from puente.store.hashsets import HashSetStore


def entries(engine: Engine, name: str) -> list[tuple[object, ...]]:
    return sorted(
        (
            e.algorithm,
            e.value,
            e.category,
            e.source_scheme,
            e.source_category,
            e.source_id,
            e.confirmations,
            json.dumps(dict(e.metadata), sort_keys=True),
        )
        for e in HashSetStore(engine).iter_entries(name)
    )


def imp(engine: Engine, path: Path, name: str, **kw: object) -> flow.ImportResult:
    return flow.import_file(engine, path, HashSetInfo(name), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source_fmt", "export_fmt"),
    [("vics", "vics"), ("vics2", "vics2"), ("icse", "icse"), ("text", "text"), ("csv", "csv")],
)
def test_round_trip(engine: Engine, tmp_path: Path, source_fmt: str, export_fmt: str) -> None:
    if source_fmt == "vics":
        src = write_vics(tmp_path / "in.json", media_records(120, seed=1), "1.3", bom=True)
    elif source_fmt == "vics2":
        src = write_vics(tmp_path / "in.json", media_records(120, seed=1), "2.0")
    elif source_fmt == "icse":
        src = write_icse(tmp_path / "in.csv", 120, seed=1)
    elif source_fmt == "text":
        src = write_text(tmp_path / "in.txt", 120, seed=1)
    else:
        v = write_vics(tmp_path / "v.json", media_records(120, seed=1), "2.0")
        imp(engine, v, "seed")
        src = tmp_path / "in.csv"
        flow.export_set(engine, "seed", "csv", src)
    options = ReadOptions(category="exploitive") if source_fmt == "text" else None
    first = imp(engine, src, "first", options=options)
    assert first.format == source_fmt and first.rejected == 0
    out = tmp_path / f"out.{export_fmt}"
    count = flow.export_set(engine, "first", export_fmt, out)
    assert count == first.set.entry_count
    imp(engine, out, "second", fmt=export_fmt, options=options)
    assert entries(engine, "first") == entries(engine, "second")
    assert len(entries(engine, "first")) == first.set.entry_count > 100


def test_nsrl_rdsv3_imports_as_known_good(engine: Engine, tmp_path: Path) -> None:
    db = write_nsrl(tmp_path / "RDS_2099.01.1_modern_minimal.db", 200, duplicates=20)
    result = imp(engine, db, "nsrl")
    assert result.format == "nsrl"
    assert result.set.entry_count == 600  # 200 distinct files x 3 algorithms
    assert result.duplicates == 60
    assert {e[2] for e in entries(engine, "nsrl")} == {"known_good"}


def test_default_mode_commits_valid_rows_and_lists_rejects(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text(f"{'a' * 32}\nnot-a-hash\n{'b' * 31}\n{'c' * 40}\n")
    seen: list[str] = []
    result = imp(engine, path, "mixed", on_reject=lambda e: seen.append(str(e)))
    assert result.set.entry_count == 2 and result.rejected == 2
    assert [p.line for p in result.problems] == [2, 3]
    assert seen[0].startswith(f"{path}:2: ")


def test_strict_mode_commits_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text(f"{'a' * 32}\n{'b' * 31}\n")
    with pytest.raises(
        ValidationError, match=r"mixed.txt:2: not a hash: expected 32, 40 or 64 hex digits, got 31"
    ):
        imp(engine, path, "strict", strict=True)
    assert HashSetStore(engine).find_set("strict") is None
    path.write_text(f"{'a' * 32}\n")
    assert imp(engine, path, "strict", strict=True).set.entry_count == 1


def test_file_level_error_leaves_nothing_half_written(engine: Engine, tmp_path: Path) -> None:
    full = write_vics(tmp_path / "full.json", media_records(3000, seed=2), "2.0").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(full[: len(full) - 500])
    with pytest.raises(FormatError, match="truncated"):
        imp(engine, cut, "cut", batch_size=100)  # several batches were written before the error
    assert HashSetStore(engine).find_set("cut") is None
    assert HashSetStore(engine).list_sets() == []


def test_all_rows_bad_is_an_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("x" * 32 + "\n")
    with pytest.raises(ValidationError, match="no valid hash entries"):
        imp(engine, path, "bad", fmt="text")
    assert HashSetStore(engine).find_set("bad") is None


def test_duplicate_rows(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    a, b = "a" * 32, "b" * 32
    path.write_text(
        f"algorithm,value,category\nmd5,{a},csam\nmd5,{b},cgi\nmd5,{a.upper()},csam\nmd5,{b},csam\n"
    )
    result = imp(engine, path, "dups")
    assert result.set.entry_count == 2
    assert result.duplicates == 1
    assert [str(n) for n in result.notes] == [f"{path}:4: duplicate of line 2: skipped"]
    (problem,) = result.problems
    assert problem.line == 5 and "already given on line 3 with category 'cgi'" in problem.reason


def test_interrupted_import_resumes_without_duplicates(engine: Engine, tmp_path: Path) -> None:
    path = write_text(tmp_path / "big.txt", 5000, seed=4)
    calls = 0

    def interrupt(done: int, total: int, n: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imp(engine, path, "big", batch_size=1000, on_progress=interrupt)
    store = HashSetStore(engine)
    partial = store.get_set("big")
    assert partial.status == "importing"
    assert partial.id is not None
    # Batches already handed to the background writer may or may not be written by then.
    before = store.count_entries(partial.id)
    assert before < 5000
    assert list(store.iter_memberships()) == []  # never matched while incomplete
    store.start_import(partial.id, store.imports("big")[0])  # as if a process was killed
    result = imp(engine, path, "big", batch_size=1000)
    assert result.resumed and result.set.status == "complete"
    assert result.set.entry_count == 5000
    assert result.duplicates == before and result.entries_added == 5000 - before
    assert [r.status for r in store.imports("big")] == ["interrupted", "interrupted", "complete"]
    with pytest.raises(Conflict, match="already exists"):
        imp(engine, path, "big")


def test_conflicts_diff_delete_and_exact_index(engine: Engine, tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text(f"algorithm,value,category\nmd5,{'1' * 32},csam\nmd5,{'2' * 32},cgi\n")
    b = tmp_path / "b.csv"
    b.write_text(f"algorithm,value,category\nmd5,{'1' * 32},non_pertinent\nsha1,{'3' * 40},csam\n")
    imp(engine, a, "a")
    imp(engine, b, "b")
    found, total = flow.conflicts(engine)
    assert total == 1 and found[0].value == "1" * 32
    d = flow.diff(engine, "a", "b")
    assert (d.only_a, d.only_b, d.both, d.category_changed) == (1, 1, 1, 1)
    index = flow.build_exact_index(engine)
    hits = index.lookup("md5", "1" * 32)
    assert sorted((m.set_name, m.category) for m in hits) == [("a", "csam"), ("b", "non_pertinent")]
    assert [s.name for s in index.sets()] == ["a", "b"]
    assert flow.build_exact_index(engine, ["b"]).lookup("md5", "2" * 32) == ()
    assert flow.delete_set(engine, "a") == 2
    assert flow.conflicts(engine)[1] == 0


def test_add_files_hashes_reference_files(engine: Engine, tmp_path: Path) -> None:
    import hashlib

    folder = tmp_path / "ref"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.bin").write_bytes(b"one")
    (folder / "sub" / "two.bin").write_bytes(b"two")
    result = flow.add_files(engine, "curated", [folder, tmp_path / "missing"], "comparison")
    assert result.files == 2 and result.entries_added == 6
    assert [e.source for e in result.errors] == [str(tmp_path / "missing")]
    index = flow.build_exact_index(engine, ["curated"])
    (m,) = index.lookup("sha256", hashlib.sha256(b"two").hexdigest())
    assert m.category == "comparison"
    again = flow.add_files(engine, "curated", [folder], "comparison")
    assert again.entries_added == 0 and again.set.entry_count == 6


def test_export_is_atomic(engine: Engine, tmp_path: Path) -> None:
    src = write_text(tmp_path / "a.txt", 10)
    imp(engine, src, "a")
    out = tmp_path / "out" / "a.json"
    flow.export_set(engine, "a", "vics2", out)
    assert json.loads(out.read_text())["value"][0]["MD5"].isupper()
    assert not list(out.parent.glob(".*part"))
    HashSetStore(engine).add_entries(
        HashSetStore(engine).get_set("a").id or 0, [Entry("md5", "f" * 32)]
    )


def test_strict_refuses_a_hash_given_twice_with_two_categories(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "dups.csv"
    path.write_text(f"algorithm,value,category\nmd5,{'a' * 32},csam\nmd5,{'a' * 32},cgi\n")
    with pytest.raises(ValidationError, match="already given on line 2"):
        imp(engine, path, "dups", strict=True)
    assert HashSetStore(engine).find_set("dups") is None
