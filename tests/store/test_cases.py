"""CaseStore contract, on SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from puente.cases.custody import verify
from puente.cases.model import HashSetUsed, ScanItem, ScanMatch
from puente.errors import InvalidHash, NotFound, UnknownCountry
from puente.store.cases import PLAIN_ROW_COLUMNS, CaseStore, item_row, match_row


@pytest.fixture
def store(engine: Engine) -> CaseStore:
    return CaseStore(engine)


def _item(path: str, *, md5: str | None = None, matches: tuple[ScanMatch, ...] = ()) -> ScanItem:
    return ScanItem(
        scan_id=0,
        path=path,
        size=10,
        mtime=1.5,
        atime=2.5,
        ctime=3.5,
        kind="image/png",
        md5=md5,
        sha1=None,
        sha256=None,
        status="ok",
        detail=None,
        depth=path.count("!/"),
        container=path.rsplit("!/", 1)[0] if "!/" in path else None,
        matches=matches,
    )


def test_case_round_trip(store: CaseStore) -> None:
    case = store.create_case("Operación Ñandú", "ar", "UFECI", "FIS-1/2026", "ana")
    assert case.country == "AR" and case.reference == "FIS-1/2026"
    assert store.get_case(case.id) == case
    assert store.list_cases() == [case]
    assert case.created_at.tzinfo is not None


def test_unknown_case_and_evidence_are_not_found(store: CaseStore) -> None:
    with pytest.raises(NotFound, match="case 42"):
        store.get_case(42)
    case = store.create_case("t", "UY", "a", None, "op")
    with pytest.raises(NotFound, match="evidence 5"):
        store.get_evidence(case.id, 5)
    with pytest.raises(NotFound):
        store.add_evidence(99, "/x", "d", "op")


def test_bad_case_input_is_rejected_and_nothing_written(store: CaseStore) -> None:
    with pytest.raises(UnknownCountry):
        store.create_case("t", "FR", "a", None, "op")
    case = store.create_case("t", "UY", "a", None, "op")
    with pytest.raises(InvalidHash):
        store.add_evidence(case.id, "/x", "d", "op", source_hash="sha256:xyz")
    assert store.list_cases() == [case]
    assert store.list_evidence(case.id) == []
    assert len(store.custody(case.id)) == 1


def test_evidence_and_custody_chain(store: CaseStore) -> None:
    case = store.create_case("t", "BR", "PF", None, "ana")
    acquired = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ev = store.add_evidence(
        case.id,
        "/evidence/disk1",
        "laptop",
        "ana",
        acquired_by="joão",
        acquired_at=acquired,
        source_hash="sha256:" + "AA" * 32,
    )
    assert store.get_evidence(case.id, ev.id) == ev
    assert ev.acquired_at == acquired and ev.source_hash == "sha256:" + "aa" * 32
    store.append_custody(case.id, "export", {"format": "vics", "ñ": [1, 2]}, "bruno")
    log = store.custody(case.id)
    assert [e.action for e in log] == ["case_created", "evidence_registered", "export"]
    assert [e.seq for e in log] == [1, 2, 3]
    assert log[2].operator == "bruno" and log[2].details == {"format": "vics", "ñ": [1, 2]}
    assert verify(log, case_id=case.id, head=store.custody_head(case.id)) == []
    # Each case has its own chain.
    other = store.create_case("u", "CL", "PDI", None, "ana")
    assert [e.seq for e in store.custody(other.id)] == [1]


def _tampered_problems(store: CaseStore, case_id: int) -> list[str]:
    log = store.custody(case_id)
    return [str(p) for p in verify(log, case_id=case_id, head=store.custody_head(case_id))]


def _case_with_log(store: CaseStore) -> int:
    case = store.create_case("t", "MX", "FGR", None, "ana")
    for i in range(4):
        store.append_custody(case.id, "export", {"i": i}, "ana")
    return case.id  # entries seq 1..5


def test_database_modification_is_detected(store: CaseStore, engine: Engine) -> None:
    case_id = _case_with_log(store)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE custody_log SET details = :d WHERE case_id = :c AND seq = 3"),
            {"d": json.dumps({"i": 99}), "c": case_id},
        )
    problems = _tampered_problems(store, case_id)
    assert any("seq 3 " in p and "modified" in p for p in problems)


def test_database_deletion_is_detected(store: CaseStore, engine: Engine) -> None:
    case_id = _case_with_log(store)
    for seq in (3, 5):  # one in the middle, then the last
        with engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM custody_log WHERE case_id = :c AND seq = :s"),
                {"c": case_id, "s": seq},
            )
        problems = _tampered_problems(store, case_id)
        assert any(f"seq {seq}" in p and "missing" in p for p in problems), problems


def test_database_reordering_is_detected(store: CaseStore, engine: Engine) -> None:
    case_id = _case_with_log(store)
    with engine.begin() as conn:
        # Swap the contents of rows 2 and 4 (their seq values travel with them).
        rows = {
            r.seq: r
            for r in conn.execute(
                sa.text("SELECT * FROM custody_log WHERE case_id = :c"), {"c": case_id}
            )
        }
        for a, b in ((2, 4), (4, 2)):
            src = rows[b]
            conn.execute(
                sa.text(
                    "UPDATE custody_log SET seq = :seq, at = :at, details = :d, "
                    "prev_hash = :p, entry_hash = :h WHERE id = :id"
                ),
                {
                    "seq": -src.seq if a == 2 else src.seq,
                    "at": src.at,
                    "d": src.details,
                    "p": src.prev_hash,
                    "h": src.entry_hash,
                    "id": rows[a].id,
                },
            )
        conn.execute(
            sa.text("UPDATE custody_log SET seq = 4 WHERE case_id = :c AND seq = -4"),
            {"c": case_id},
        )
    problems = _tampered_problems(store, case_id)
    assert any("seq 4 (position 2)" in p for p in problems), problems


def test_database_insertion_is_detected(store: CaseStore, engine: Engine) -> None:
    case_id = _case_with_log(store)
    with engine.begin() as conn:
        last = conn.execute(
            sa.text("SELECT * FROM custody_log WHERE case_id = :c AND seq = 5"), {"c": case_id}
        ).one()
        conn.execute(
            sa.text(
                "INSERT INTO custody_log (case_id, seq, at, operator, action, details, "
                "prev_hash, entry_hash) VALUES (:c, 6, :at, 'mallory', 'export', '{}', :p, :h)"
            ),
            {"c": case_id, "at": last.at, "p": last.entry_hash, "h": "f" * 64},
        )
    problems = _tampered_problems(store, case_id)
    assert any("seq 6" in p for p in problems), problems


def test_scan_items_are_idempotent_and_carry_matches(store: CaseStore) -> None:
    case = store.create_case("t", "PY", "a", None, "op")
    ev = store.add_evidence(case.id, "/e", "d", "op")
    used = (HashSetUsed("demo", "1", "AR UFECI", "vics"),)
    scan = store.start_scan(case.id, ev.id, "d" * 64, used, "op")
    assert scan.status == "running" and scan.hashsets == used
    match = ScanMatch("md5", "a" * 32, "demo", "1", "csam", "1")
    batch = [
        _item("a.jpg", md5="a" * 32, matches=(match,)),
        _item("b.zip"),
        _item("b.zip!/ü/c.png", md5="c" * 32),
    ]
    store.add_items(scan.id, batch)
    store.add_items(scan.id, batch)  # a resumed scan seeing them again
    store.add_items(scan.id, [_item("d.txt")])
    assert store.count_items(scan.id) == 4
    # Member names longer than a PostgreSQL index entry are stored (and deduplicated) too.
    long_name = "b.zip!/" + "ñ" * 4000
    store.add_items(scan.id, [_item(long_name, md5="e" * 32, matches=(match,))] * 2)
    assert store.count_items(scan.id) == 5
    store.add_items(scan.id, [_item(long_name)])
    assert store.count_items(scan.id) == 5
    items = [i for i in store.items([scan.id]) if i.path != long_name]
    assert [i.path for i in items] == ["a.jpg", "b.zip", "b.zip!/ü/c.png", "d.txt"]
    assert items[0].matches == (match,) and not items[1].matches
    assert items[2].depth == 1 and items[2].container == "b.zip"
    assert [i.path for i in store.items([scan.id], matched_only=True)] == ["a.jpg", long_name]
    assert [i.path for i in store.items([scan.id], category="csam")] == ["a.jpg", long_name]
    assert list(store.items([scan.id], category="other")) == []
    assert store.stored_top_level(scan.id) == {
        "a.jpg": "image/png",
        "b.zip": "image/png",
        "d.txt": "image/png",
    }
    finished = store.set_scan_status(scan, "finished", "op", action="scan_finished")
    assert finished.status == "finished" and finished.finished_at is not None
    assert [e.action for e in store.custody(case.id)][-2:] == ["scan_started", "scan_finished"]
    assert store.latest_scans(case.id) == [finished]


def test_concurrent_appends_keep_one_chain(store: CaseStore) -> None:
    import threading

    case = store.create_case("t", "CR", "OIJ", None, "op")
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(15):
                store.append_custody(case.id, "export", {"i": i, "by": name}, name)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = store.custody(case.id)
    assert [e.seq for e in log] == list(range(1, 47))
    assert verify(log, case_id=case.id, head=store.custody_head(case.id)) == []


def test_triage_0002_keeps_scans_stored_before_it(tmp_path: Path) -> None:
    """A database scanned under triage_0001 upgrades with its records intact (SQLite
    rebuilds scan_matches for the new unique key)."""
    from alembic import command

    from puente.store.db import alembic_config, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "triage_0001")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO cases VALUES (1, 't', 'AR', 'UFECI', NULL, :now, 0, :h)"),
            {"now": now, "h": "0" * 64},
        )
        conn.execute(
            sa.text("INSERT INTO evidence VALUES (1, 1, '/e', 'd', NULL, NULL, NULL, :now)"),
            {"now": now},
        )
        conn.execute(
            sa.text("INSERT INTO scans VALUES (1, 1, 1, 'finished', :d, :now, :now, '[]', '0.1')"),
            {"d": "5" * 64, "now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO scan_items (id, scan_id, path, path_key, size, kind, md5, status, "
                "depth) VALUES (1, 1, 'a.jpg', 'k', 3, 'image/jpeg', :md5, 'ok', 0)"
            ),
            {"md5": "a" * 32},
        )
        conn.execute(
            sa.text(
                "INSERT INTO scan_matches (item_id, algorithm, value, set_name, set_version, "
                "category, source_category) VALUES (1, 'md5', :md5, 's', '1', 'csam', '')"
            ),
            {"md5": "a" * 32},
        )
    upgrade(engine)
    (item,) = CaseStore(engine).items([1])
    assert (item.path, item.md5, item.pdq, item.vpdq) == ("a.jpg", "a" * 32, None, None)
    (match,) = item.matches
    assert (match.algorithm, match.category, match.distance, match.variant) == (
        "md5",
        "csam",
        None,
        None,
    )
    engine.dispose()


def test_perceptual_hashes_and_matches_round_trip(store: CaseStore) -> None:
    from dataclasses import replace

    case = store.create_case("t", "PY", "a", None, "op")
    ev = store.add_evidence(case.id, "/e", "d", "op")
    scan = store.start_scan(case.id, ev.id, "d" * 64, (), "op")
    # One image within the threshold of two entries of one set: both kept.
    near = [
        ScanMatch("pdq", "f0" * 32, "s", "1", "csam", "", 12, 88, "rotate90"),
        ScanMatch("pdq", "f1" * 32, "s", "1", "exploitive", "", 20, 88, "trimmed:flipy"),
    ]
    video = ScanMatch("vpdq", "sha256:" + "7" * 64, "s", "1", "csam", "", detail="query 90%")
    image = replace(
        _item("a.jpg", matches=tuple(near)),
        pdq="f2" * 32,
        pdq_quality=88,
        pdq_decode_mode="jpeg-draft-1/4",
        pdq_dihedral=",".join(["f2" * 32] * 8),
    )
    clip = replace(_item("v.mp4", matches=(video,)), vpdq="0,90," + "ab" * 32 + ",0.000")
    store.add_items(scan.id, [image, clip])
    store.add_items(scan.id, [image, clip])  # a resumed batch: nothing twice
    got = {i.path: i for i in store.items([scan.id])}
    a = got["a.jpg"]
    assert (a.pdq, a.pdq_quality, a.pdq_decode_mode) == ("f2" * 32, 88, "jpeg-draft-1/4")
    assert a.pdq_dihedral == image.pdq_dihedral
    assert sorted(a.matches, key=lambda m: m.value) == near
    assert got["v.mp4"].vpdq == clip.vpdq and got["v.mp4"].matches == (video,)
    assert [i.path for i in store.items([scan.id], category="exploitive")] == ["a.jpg"]


def test_plain_rows_are_stored_like_full_rows(store: CaseStore) -> None:
    """add_rows(plain=…) writes the common row with the plain defaults as constants."""
    case = store.create_case("t", "PY", "a", None, "op")
    ev = store.add_evidence(case.id, "/e", "d", "op")
    scan = store.start_scan(case.id, ev.id, "d" * 64, (), "op")
    full = item_row(scan.id, _item("a.bin", md5="a" * 32))
    assert full[11:] == ("ok", None, 0, None, None, None, None, None, None)
    match = ScanMatch("md5", "b" * 32, "demo", "1", "csam", "1")
    plain = item_row(scan.id, _item("b.bin", md5="b" * 32))[: len(PLAIN_ROW_COLUMNS)]
    store.add_rows([full], [(plain[1], match_row(match))], plain=[plain])
    store.add_rows([], plain=[plain])  # again: ignored
    a, b = store.items([scan.id])
    assert (a.path, b.path) == ("a.bin", "b.bin")
    assert replace(b, path="a.bin", md5="a" * 32, matches=()) == a
    assert b.matches == (match,)
