"""Store contract for hash sets: runs on SQLite and on PostgreSQL (``engine`` fixture)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from puente.errors import Conflict, InputError, NotFound
from puente.hashsets.model import Bulk, Entry, HashSetInfo
from puente.store import hashsets as hashsets_store
from puente.store.hashsets import HashSetStore


def md5(i: int) -> str:
    return f"{i:032x}"


def make(store: HashSetStore, name: str, entries: list[Entry]) -> HashSetInfo:
    info = store.create_set(HashSetInfo(name, version="1", owner_country="AR"))
    assert info.id is not None
    store.add_entries(info.id, entries)
    return store.set_status(info.id, "complete")


def test_create_get_list_delete(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = make(store, "a", [Entry("md5", md5(1), "csam", metadata={"k": [1, "ñ"]})])
    assert (info.name, info.version, info.owner_country, info.status, info.entry_count) == (
        "a",
        "1",
        "AR",
        "complete",
        1,
    )
    assert info.created_at is not None and info.created_at.tzinfo is not None
    with pytest.raises(Conflict):
        store.create_set(HashSetInfo("a"))
    assert [s.name for s in store.list_sets()] == ["a"]
    (entry,) = store.iter_entries("a")
    assert entry.metadata == {"k": [1, "ñ"]}
    assert store.delete_set("a") == 1
    with pytest.raises(NotFound):
        store.get_set("a")


def test_bulk_insert_ignores_duplicates(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("a"))
    assert info.id is not None
    with store.writer(info.id) as w:
        assert w.add([Entry("md5", md5(i)) for i in range(100)]) == 100
        assert w.add([Entry("md5", md5(i)) for i in range(50, 150)]) == 50
        assert w.add([Entry("sha1", "0" * 40)]) == 1
    assert store.count_entries(info.id) == 151


def test_staged_writer_adds_in_key_order_first_row_wins(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("a"))
    assert info.id is not None
    with store.writer(info.id) as w:
        w.add([Entry("md5", md5(7), "cgi")])  # already in the set
    with store.writer(info.id, staged=True) as w:
        added = w.add([Entry("md5", md5(i), "csam") for i in (9, 3, 7)])
        added += w.add([Entry("md5", md5(3), "non_pertinent"), Entry("md5", md5(5))])
        added += w.flush()
    assert added == 3  # 9, 3, 5: the second 3 and the stored 7 are ignored
    categories = {e.value: e.category for e in store.iter_entries("a")}
    assert categories == {md5(3): "csam", md5(5): "uncategorised", md5(7): "cgi", md5(9): "csam"}


@pytest.mark.parametrize("direct_rows", [0, 4, 100])
def test_staged_writer_direct_then_staged_keeps_every_field_and_first_row_wins(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, direct_rows: int
) -> None:
    """The first entries go straight in (DIRECT_ROWS, statements of DIRECT_BATCH), the rest
    are staged; rows, Bulks, source ids and metadata come out the same either way."""
    monkeypatch.setattr(hashsets_store, "DIRECT_ROWS", direct_rows)
    monkeypatch.setattr(hashsets_store, "DIRECT_BATCH", 3)
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("a"))
    assert info.id is not None
    vics = Entry("md5", "", "csam", "vics_us", "1")
    batches: list[list[Entry | Bulk]] = [
        [Entry("md5", md5(1), "cgi", source_id="m1"), Entry("sha1", "1" * 40, comment="c")],
        [Bulk(vics, [md5(2), md5(3)], [3, 4], ["m2", None])],
        [Entry("md5", md5(4), metadata={"Series": "x"}), Bulk(Entry("md5", ""), [md5(5)], [6])],
        # each again, other categories: the first of each stays
        [Entry("md5", md5(i), "exploitive") for i in range(1, 6)],
    ]
    with store.writer(info.id, staged=True) as w:
        added = sum(w.add(b) for b in batches) + w.flush()
    assert added == 6
    got = {
        e.value: (e.category, e.source_scheme, e.source_category, e.source_id, e.comment)
        for e in store.iter_entries("a")
    }
    assert got == {
        md5(1): ("cgi", "puente", None, "m1", None),
        "1" * 40: ("uncategorised", "puente", None, None, "c"),
        md5(2): ("csam", "vics_us", "1", "m2", None),
        md5(3): ("csam", "vics_us", "1", None, None),
        md5(4): ("uncategorised", "puente", None, None, None),
        md5(5): ("uncategorised", "puente", None, None, None),
    }
    (four,) = [e for e in store.iter_entries("a") if e.value == md5(4)]
    assert four.metadata == {"Series": "x"}


def test_staged_writer_without_flush_adds_nothing(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("a"))
    assert info.id is not None
    with pytest.raises(RuntimeError), store.writer(info.id, staged=True) as w:
        w.add([Entry("md5", md5(i)) for i in range(10)])
        raise RuntimeError("interrupted before the flush")
    expected = 10 if engine.dialect.name != "sqlite" else 0  # PostgreSQL inserts per batch
    assert store.count_entries(info.id) == expected


def test_staged_flush_interrupted_by_its_tick_rolls_back(sqlite_engine: Engine) -> None:
    store = HashSetStore(sqlite_engine)
    info = store.create_set(HashSetInfo("a"))
    assert info.id is not None

    def tick() -> None:
        raise KeyboardInterrupt

    with store.writer(info.id, staged=True) as w:
        w.add([Entry("md5", md5(i)) for i in range(20_000)])
        with pytest.raises(KeyboardInterrupt):
            w.flush(tick, steps=1000)
        assert store.count_entries(info.id) == 0
        assert w.flush() == 20_000  # the staged rows are still there to retry
    assert store.count_entries(info.id) == 20_000


def test_pdq_threshold_and_recorded_quality(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("p", pdq_threshold=20))
    assert info.pdq_threshold == 20 and info.id is not None
    low, good, bare = "1" * 64, "2" * 64, "3" * 64
    store.add_entries(
        info.id,
        [
            Entry("pdq", low, metadata={"pdq_quality": 30, "pdq_below_min_quality": True}),
            Entry("pdq", good, metadata={"pdq_quality": 90}),
            Entry("pdq", bare),  # imported from another tool: no quality recorded
            Entry("md5", md5(1), metadata={"pdq_quality": 5}),  # not a PDQ: ignored
        ],
    )
    view = "4" * 64
    store.add_entries(
        info.id, [Entry("pdq", view, metadata={"pdq_quality": 70, "pdq_view": "rot+3"})]
    )
    assert store.pdq_metadata() == {}  # the set is still importing
    store.set_status(info.id, "complete")
    assert store.pdq_metadata() == {low: (30, None), good: (90, None), view: (70, "rot+3")}
    assert store.pdq_metadata(["other"]) == {}
    assert store.summaries()[0].pdq_threshold == 20
    assert store.set_pdq_threshold("p", None).pdq_threshold is None
    with pytest.raises(InputError, match="0 to 256"):
        store.set_pdq_threshold("p", 257)
    with pytest.raises(NotFound):
        store.set_pdq_threshold("nope", 3)


def test_same_hash_in_several_sets_keeps_every_membership(engine: Engine) -> None:
    store = HashSetStore(engine)
    make(store, "a", [Entry("md5", md5(1), "csam", "vics_us", "1"), Entry("md5", md5(2), "cgi")])
    make(store, "b", [Entry("md5", md5(1), "non_pertinent", "vics_us", "0")])
    make(store, "c", [Entry("md5", md5(1), "csam")])
    memberships = sorted(
        (m.set_name, m.category) for a, v, m in store.iter_memberships() if v == md5(1)
    )
    assert memberships == [("a", "csam"), ("b", "non_pertinent"), ("c", "csam")]
    found, total = store.conflicts()
    assert total == 1
    assert found[0].value == md5(1)
    assert [m[0] for m in found[0].memberships] == ["a", "b", "c"]
    d = store.diff("a", "b")
    assert (d.only_a, d.only_b, d.both, d.category_changed) == (1, 0, 1, 1)
    assert d.examples_changed == (("md5", md5(1), "csam", "non_pertinent"),)
    stats = {s["name"]: s for s in store.stats()}
    assert stats["a"]["by_category"] == {"csam": 1, "cgi": 1}


def test_importing_sets_are_not_matched(engine: Engine) -> None:
    store = HashSetStore(engine)
    info = store.create_set(HashSetInfo("partial"))
    assert info.id is not None
    store.add_entries(info.id, [Entry("md5", md5(1))])
    assert list(store.iter_memberships()) == []
    with pytest.raises(NotFound):
        list(store.iter_memberships(["nope"]))


def test_export_order_keeps_records_together(engine: Engine) -> None:
    store = HashSetStore(engine)
    entries = [Entry("md5", md5(i), source_id=str(i % 3)) for i in range(9)]
    make(store, "a", entries)
    ids = [e.source_id for e in store.iter_entries("a")]
    assert ids == sorted(ids)


def test_hashsets_0002_keeps_entries_and_the_unique_key(engine: Engine) -> None:
    """Down to hashsets_0001 and up again with entries stored: nothing lost, no duplicates,
    and a value beyond the old VARCHAR(1024) / btree limit is stored once (PostgreSQL)."""
    from alembic import command

    from puente.store.db import alembic_config, upgrade

    store = HashSetStore(engine)
    command.downgrade(alembic_config(engine), "hashsets_0001")
    with engine.begin() as conn:  # rows as hashsets_0001 knew them: today's mapping has more
        conn.execute(
            sa.text(
                "INSERT INTO hash_sets (name, version, description, caveats, status, "
                "entry_count, created_at, updated_at) VALUES ('old', '1', '', '', 'complete', "
                "5, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        set_id = conn.execute(sa.text("SELECT id FROM hash_sets")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO hash_entries (set_id, algorithm, value, category, source_scheme) "
                "VALUES (:s, 'md5', :v, 'uncategorised', 'puente')"
            ),
            [{"s": set_id, "v": md5(i)} for i in range(5)],
        )
    upgrade(engine)
    info = store.get_set("old")
    assert info.id is not None and info.pdq_threshold is None
    assert store.add_entries(info.id, [Entry("md5", md5(i)) for i in range(7)]) == 2
    long = ";".join(f"{i},100,{i:064x},{i:.3f}" for i in range(600))  # ~50 kB
    assert store.add_entries(info.id, [Entry("vpdq", long), Entry("vpdq", long)]) == 1
    assert store.add_entries(info.id, [Entry("vpdq", long)]) == 0
    assert sorted(e.value for e in store.iter_entries("old") if e.algorithm == "md5") == [
        md5(i) for i in range(7)
    ]
    assert store.count_entries(info.id) == 8
