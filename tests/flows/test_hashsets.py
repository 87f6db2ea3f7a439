"""Import/export flows on SQLite and PostgreSQL: round trips, strict mode, resume, rejects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from puente.errors import Conflict, FormatError, ValidationError
from puente.flows import hashsets as flow
from puente.hashsets.formats.base import ReadOptions
from puente.hashsets.model import Entry, HashSetInfo
from puente.hashsets.samples import media_records, write_icse, write_nsrl, write_text, write_vics
from puente.store.hashsets import HashSetStore

V20_MEDIA = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"


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


def test_repeats_inside_bulk_blocks_are_noted_or_rejected_like_rows(
    engine: Engine, tmp_path: Path
) -> None:
    values = [f"{i * 2654435761:032x}" for i in range(30_000)]
    values[19_999] = values[9]  # the same value again, in the same block
    values[29_999] = values[4].upper()
    text = tmp_path / "list.txt"
    text.write_text("\n".join(values) + "\n")
    result = imp(engine, text, "t")
    assert (result.entries_read, result.entries_added, result.duplicates) == (30_000, 29_998, 2)
    assert [str(n) for n in result.notes] == [
        f"{text}:20000: duplicate of line 10: skipped",
        f"{text}:30000: duplicate of line 5: skipped",
    ]
    records = [{"MediaID": i, "Category": 1, "MD5": v} for i, v in enumerate(values[:5000])]
    records[4000] = {"MediaID": 4000, "Category": 2, "MD5": values[7]}
    vics = tmp_path / "v.json"
    write_vics(vics, iter(records), version="2.0")
    result = imp(engine, vics, "v")
    assert result.entries_added == 4999
    (problem,) = result.problems
    assert (
        "already given on line" in problem.reason and "'csam', here 'exploitive'" in problem.reason
    )


def test_batch_edges_fall_between_records_as_row_by_row(engine: Engine, tmp_path: Path) -> None:
    m = [f"{i:032x}" for i in range(3)]
    s = [f"{i:040x}" for i in range(3)]
    records = [
        {"MediaID": 1, "Category": 1, "MD5": m[1], "SHA1": s[1]},
        {"MediaID": 2, "Category": 1, "MD5": m[2], "SHA1": s[2]},
        {"MediaID": 3, "Category": 2, "SHA1": s[2]},  # another category, next batch
    ]
    path = tmp_path / "v.json"
    write_vics(path, iter(records), version="2.0")
    result = imp(engine, path, "v", batch_size=3)
    assert (result.entries_read, result.duplicates, result.rejected) == (5, 1, 0)


@pytest.mark.parametrize("media_id", ["a\x00b", 'ñandú "quoted" \\ tab\t'])
def test_source_ids_survive_the_json_path(
    sqlite_engine: Engine, tmp_path: Path, media_id: str
) -> None:
    # (PostgreSQL text cannot hold NUL at all: there such an import fails.)
    engine = sqlite_engine
    records = [{"MediaID": i, "Category": 1, "MD5": f"{i:032x}"} for i in range(20)]
    records[3]["MediaID"] = media_id
    path = tmp_path / "ids.json"
    write_vics(path, iter(records), version="2.0")
    imp(engine, path, "ids")
    ids = {e.value: e.source_id for e in HashSetStore(engine).iter_entries("ids")}
    assert ids[f"{3:032x}"] == media_id and ids[f"{4:032x}"] == "4"


def test_a_media_id_no_database_can_store_is_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "surrogate.json"
    records: list[dict[str, object]] = [
        {"MediaID": i, "Category": 1, "MD5": f"{i:032x}"} for i in range(20)
    ]
    records[3]["MediaID"] = "\ud800"  # valid JSON ("\\ud800"), not storable text
    path.write_text(json.dumps({"@odata.context": V20_MEDIA, "value": records}))
    result = imp(engine, path, "s")
    assert result.entries_added == 19
    (problem,) = result.problems
    assert "MediaID is not valid Unicode" in problem.reason


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


# -- add-files: PDQ of images, vPDQ of videos -------------------------------------------------


def _photo(seed: int, w: int = 160, h: int = 120) -> Any:
    """A benign generated picture: smooth colour gradients and a few blocks (high PDQ quality)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], axis=2)
    for _ in range(6):
        x0, y0 = rng.integers(0, w - 30), rng.integers(0, h - 30)
        base[y0 : y0 + 30, x0 : x0 + 30] = rng.integers(0, 256, 3)
    return Image.fromarray(base.astype(np.uint8))


def _video(path: Path, frames: int = 20, w: int = 64, h: int = 48) -> Path:
    """A benign generated 2-second video (10 fps): random colour blocks, new every second."""
    import av
    import numpy as np

    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            blocks = np.random.default_rng(i // 10).integers(0, 256, (h // 16, w // 16, 3))
            rgb = np.kron(blocks.astype(np.uint8), np.ones((16, 16, 1), np.uint8))
            for pk in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("media")
    _photo(1).save(folder / "a.jpg", quality=90)
    _photo(2).save(folder / "b.png")
    Image.new("RGB", (64, 64), (128, 128, 128)).save(folder / "flat.png")  # PDQ quality 0
    good = (folder / "a.jpg").read_bytes()
    (folder / "broken.jpg").write_bytes(good[: len(good) // 3])  # truncated JPEG
    _video(folder / "clip.avi")
    clip = (folder / "clip.avi").read_bytes()
    (folder / "broken.avi").write_bytes(clip[:200] + bytes(len(clip) - 200))  # header, no frames
    (folder / "notes.txt").write_text("not media\n")
    return folder


def test_add_files_adds_pdq_and_vpdq(engine: Engine, media: Path) -> None:
    from puente.hashing.pdq import hash_image
    from puente.hashing.vpdq import hash_video

    totals: list[int] = []
    result = flow.add_files(
        engine,
        "ref",
        [media],
        "comparison",
        on_total=totals.append,
        min_quality=50,
        perceptual=True,
    )
    assert totals == [7] and result.files == 7
    assert (result.pdq, result.vpdq) == (3, 1)  # a.jpg, b.png, flat.png; clip.avi
    # corrupt image and video: reported by name, their MD5/SHA-1/SHA-256 still added
    problems = {Path(e.source).name: e.reason for e in result.errors}
    assert set(problems) == {"broken.jpg", "broken.avi"}
    assert problems["broken.jpg"].startswith("PDQ not computed: FormatError")
    assert problems["broken.avi"].startswith("vPDQ not computed: FormatError")
    assert result.entries_added == 7 * 3 + 4
    assert [Path(n.source).name for n in result.notes] == ["flat.png"]

    stored = {
        (e.algorithm, e.metadata["file_name"]): e for e in HashSetStore(engine).iter_entries("ref")
    }
    a = stored[("pdq", "a.jpg")]
    expected = hash_image(media / "a.jpg")
    assert a.value == expected.hash_hex
    assert a.metadata["pdq_quality"] == expected.quality >= 50
    assert "pdq_below_min_quality" not in a.metadata
    flat = stored[("pdq", "flat.png")]
    assert flat.metadata["pdq_below_min_quality"] is True and flat.metadata["pdq_quality"] < 50
    clip = stored[("vpdq", "clip.avi")]
    assert clip.value == ";".join(f.line() for f in hash_video(media / "clip.avi").features)
    assert clip.metadata["vpdq_frames"] == 2
    # one Media record's fields: the crypto entries of a.jpg carry its PDQ quality too
    assert stored[("md5", "a.jpg")].metadata["pdq_quality"] == a.metadata["pdq_quality"]
    # the triage index sees them
    index = flow.build_exact_index(engine, ["ref"])
    assert index.lookup("pdq", a.value)[0].category == "comparison"


def test_add_files_without_perceptual(engine: Engine, media: Path) -> None:
    result = flow.add_files(engine, "crypto", [media], "known_good")  # the default
    assert (result.files, result.pdq, result.vpdq, result.errors) == (7, 0, 0, ())
    assert result.entries_added == 21


@pytest.mark.parametrize("fmt", ["vics", "vics2", "csv", "text"])
def test_pdq_and_vpdq_entries_round_trip_through_the_store(
    engine: Engine, media: Path, tmp_path: Path, fmt: str
) -> None:
    first = flow.add_files(
        engine, "ref", [media / "a.jpg", media / "clip.avi"], "cgi", perceptual=True
    )
    assert (first.pdq, first.vpdq) == (1, 1)
    out, again = tmp_path / "1", tmp_path / "2"
    assert flow.export_set(engine, "ref", fmt, out) == 8
    opts = ReadOptions(category="cgi")
    flow.import_file(engine, out, HashSetInfo("back"), options=opts)
    flow.export_set(engine, "back", fmt, again)
    flow.import_file(engine, again, HashSetInfo("back2"), options=opts)
    keys = [
        sorted((e.algorithm, e.value, e.category) for e in HashSetStore(engine).iter_entries(n))
        for n in ("ref", "back", "back2")
    ]
    assert keys[0] == keys[1] == keys[2]
    assert {a for a, _, _ in keys[0]} == {"md5", "sha1", "sha256", "pdq", "vpdq"}
    if fmt != "text":
        back = {e.algorithm: e for e in HashSetStore(engine).iter_entries("back2")}
        assert back["pdq"].metadata["pdq_quality"] == first_quality(engine)


def first_quality(engine: Engine) -> int:
    (pdq,) = [e for e in HashSetStore(engine).iter_entries("ref") if e.algorithm == "pdq"]
    return int(pdq.metadata["pdq_quality"])


def test_a_long_vpdq_is_stored_once_on_every_database(engine: Engine, tmp_path: Path) -> None:
    """A 10-minute video's vPDQ (~50 kB): beyond VARCHAR(1024) and a PostgreSQL btree entry."""
    frames = ";".join(f"{i * 30},100,{i:064x},{i:.3f}" for i in range(600))
    path = tmp_path / "v.csv"
    path.write_text(f'algorithm,value\nvpdq,"{frames}"\nmd5,{"a" * 32}\n')
    result = imp(engine, path, "v")
    assert (result.entries_added, result.rejected) == (2, 0)
    again = HashSetStore(engine)
    assert again.add_entries(again.get_set("v").id or 0, [Entry("vpdq", frames)]) == 0
    (stored,) = [e for e in again.iter_entries("v") if e.algorithm == "vpdq"]
    assert stored.value == frames
