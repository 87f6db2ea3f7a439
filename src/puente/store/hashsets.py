"""Hash sets in the database: tables, mappers to domain values, fast bulk insert.

``hash_entries`` is unique on (set, algorithm, value): inserts are INSERT OR IGNORE (SQLite,
raw DBAPI executemany) / ON CONFLICT DO NOTHING (PostgreSQL), so re-running an interrupted
import adds only what is missing. A set is "importing" until its import finishes.

Bulk imports on SQLite: the first entries of a set go straight in while its part of the
unique index fits the page cache; the rest go to an unindexed temporary table, and one
``INSERT OR IGNORE … SELECT … ORDER BY`` writes them in key order at the end. Random inserts
into the unique index cost a page read and write per row once the index outgrows the cache
(10M entries: ~2.6x slower than the ``sqlite3`` shell's ``.import``); in key order each
page is written once. Groups of alike entries travel as one JSON parameter (json_each).
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)

from puente.errors import Conflict, InputError, NotFound
from puente.hashsets.model import (
    Bulk,
    Conflicting,
    Entry,
    HashSetInfo,
    HashSetSummary,
    SetDiff,
)
from puente.hashsets.provenance import ImportRecord
from puente.match.exact import Membership
from puente.store.base import METADATA

# SQLite wants INTEGER for an auto-increment key; PostgreSQL may need more than 2^31 entries.
BigId = BigInteger().with_variant(Integer(), "sqlite")


SETS = sa.Table(
    "hash_sets",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("name", String(200), unique=True, nullable=False),
    sa.Column("version", String(100), default="", nullable=False),
    sa.Column("owner_country", String(8)),
    sa.Column("owner_agency", String(200)),
    sa.Column("description", Text, default="", nullable=False),
    sa.Column("caveats", Text, default="", nullable=False),
    sa.Column("source_format", String(16)),
    sa.Column("status", String(16), default="importing", nullable=False),
    sa.Column("entry_count", BigInteger, default=0, nullable=False),
    sa.Column("pdq_threshold", Integer),  # hashsets_0003
    sa.Column("created_at", DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", DateTime(timezone=True), nullable=False),
)


ENTRIES = sa.Table(
    "hash_entries",
    METADATA,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("set_id", Integer, ForeignKey("hash_sets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("algorithm", String(16), nullable=False),
    sa.Column("value", Text, nullable=False),  # any length: a vPDQ grows with the video
    sa.Column("category", String(32), nullable=False),
    sa.Column("source_scheme", String(32), nullable=False),
    sa.Column("source_category", String(64)),
    sa.Column("source_id", String(200)),
    sa.Column("confirmations", Integer),
    sa.Column("first_seen", String(64)),
    sa.Column("comment", Text),
    sa.Column("extra", Text),  # JSON object: the source's other fields
    # The logical key. On PostgreSQL hashsets_0002 keeps it with two partial unique indexes
    # (the value up to 2000 bytes, md5(value) above: a btree entry is limited to ~2.7 kB).
    UniqueConstraint("set_id", "algorithm", "value"),
)


IMPORTS = sa.Table(
    "hash_set_imports",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column(
        "set_id",
        Integer,
        ForeignKey("hash_sets.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("source_file", Text, nullable=False),
    sa.Column("source_sha256", String(64), nullable=False),
    sa.Column("source_size", BigInteger, nullable=False),
    sa.Column("format", String(16), nullable=False),
    sa.Column("operator", String(200), nullable=False),
    sa.Column("started_at", DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", DateTime(timezone=True)),
    sa.Column("rows_read", BigInteger, default=0, nullable=False),
    sa.Column("entries_added", BigInteger, default=0, nullable=False),
    sa.Column("duplicates", BigInteger, default=0, nullable=False),
    sa.Column("rejected", BigInteger, default=0, nullable=False),
    sa.Column("status", String(16), default="running", nullable=False),
    sa.Column("detail", Text, default="", nullable=False),
)


ENTRY_COLUMNS = (
    "set_id",
    "algorithm",
    "value",
    "category",
    "source_scheme",
    "source_category",
    "source_id",
    "confirmations",
    "first_seen",
    "comment",
    "extra",
)
_COLUMNS = ", ".join(ENTRY_COLUMNS)
_MARKS = ", ".join("?" for _ in ENTRY_COLUMNS)
_SQLITE_INSERT = f"INSERT OR IGNORE INTO hash_entries ({_COLUMNS}) VALUES ({_MARKS})"
_STAGING = "puente_import_staging"
_STAGE_INSERT = f"INSERT INTO temp.{_STAGING} VALUES ({_MARKS})"
# rowid: file order breaks ties, so the first of two rows with the same key wins, as unstaged
_STAGE_FLUSH = (
    f"INSERT OR IGNORE INTO hash_entries ({_COLUMNS}) "
    f"SELECT {_COLUMNS} FROM temp.{_STAGING} ORDER BY set_id, algorithm, value, rowid"
)


# Staging by groups: the columns every entry of a group shares are bound once, and the
# group's values are one JSON parameter that SQLite unpacks (json_each): binding eleven
# parameters per row through executemany cost ~5 µs a row, this about 1 µs.
def _group_sql(target: str, *, ids: bool) -> str:
    """INSERT of one group: its shared columns bound once, its values from a JSON array
    (or, with source ids, a JSON object {value: id}: values are unique within a group)."""
    verb = "INSERT" if target.startswith("temp.") else "INSERT OR IGNORE"
    if ids:
        select = "SELECT ?, ?, key, ?, ?, ?, value, ?, ?, ?, ? FROM json_each(?)"
    else:
        select = "SELECT ?, ?, value, ?, ?, ?, NULL, ?, ?, ?, ? FROM json_each(?)"
    # Straight into the set: in key order (the third column), for the unique index's sake.
    order = "" if target.startswith("temp.") else " ORDER BY 3"
    return f"{verb} INTO {target} ({_COLUMNS}) {select}{order}"


_GROUP_SQL = {
    (target, ids): _group_sql(target, ids=ids)
    for target in (f"temp.{_STAGING}", "hash_entries")
    for ids in (False, True)
}
_MIN_GROUP = 8  # below this many entries per group on average, a batch goes row by row
TICK_STEPS = 2_000_000  # SQLite VM steps between progress ticks while a flush runs

CACHE_KIB = 64 * 1024
# While a set's part of the unique index fits in the page cache (~64 bytes an entry),
# random-order inserts are cheap: the first entries of an import go straight in, from the
# writer thread, while the reader parses on (SQLite runs without the GIL), in statements of
# DIRECT_BATCH. Past that, rows are staged and written in key order at the end.
DIRECT_ROWS = CACHE_KIB * 1024 // 64
DIRECT_BATCH = 200_000
_KEY = operator.itemgetter(1, 2)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def _info(row: Any) -> HashSetInfo:
    return HashSetInfo(
        name=row.name,
        version=row.version,
        owner_country=row.owner_country,
        owner_agency=row.owner_agency,
        description=row.description,
        caveats=row.caveats,
        source_format=row.source_format,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        status=row.status,
        entry_count=int(row.entry_count),
        id=row.id,
        pdq_threshold=row.pdq_threshold,
    )


def _entry(row: Any) -> Entry:
    meta = json.loads(row.extra) if row.extra else None
    entry = Entry(
        row.algorithm,
        row.value,
        row.category,
        row.source_scheme,
        row.source_category,
        row.source_id,
        row.confirmations,
        row.first_seen,
        row.comment,
    )
    return replace(entry, metadata=meta) if meta else entry


def _extra(meta: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(meta), ensure_ascii=False, sort_keys=True) if meta else None


_Group = tuple[list[str], list[str | None] | None]  # values, and their source ids if any


def entry_groups(entries: Sequence[Entry | Bulk]) -> dict[tuple[Any, ...], _Group]:
    """Entries grouped by what they share besides value and source id, for staging.

    Expects each (algorithm, value) at most once in ``entries`` (an import's batch): the
    order between groups is then irrelevant to "first row wins".
    """
    groups: dict[tuple[Any, ...], _Group] = {}
    last_meta: object = None
    last_json: str | None = None
    for e in entries:
        t = e.template if isinstance(e, Bulk) else e
        meta = t.metadata
        if meta is not last_meta:
            last_meta = meta
            last_json = _extra(meta)
        key = (
            t.algorithm,
            t.category,
            t.source_scheme,
            t.source_category,
            t.confirmations,
            t.first_seen,
            t.comment,
            last_json,
        )
        if isinstance(e, Bulk):
            ids = e.source_ids
            if ids is None and t.source_id is not None:
                ids = [t.source_id] * len(e.values)
            _merge(groups, key, e.values, ids)
        else:
            _merge(groups, key, [t.value], None if t.source_id is None else [t.source_id])
    return groups


def _merge(
    groups: dict[tuple[Any, ...], _Group],
    key: tuple[Any, ...],
    values: list[str],
    ids: list[str | None] | None,
) -> None:
    """Append one group's values (and source ids) to ``groups[key]``."""
    have = groups.get(key)
    if have is None:
        groups[key] = (list(values), None if ids is None else list(ids))
        return
    old_values, old_ids = have
    if ids is not None and old_ids is None:
        old_ids = [None] * len(old_values)
        groups[key] = (old_values, old_ids)
    if old_ids is not None:
        old_ids.extend(ids if ids is not None else [None] * len(values))
    old_values.extend(values)


def _plain(text: str) -> bool:
    """Whether ``text`` can stand in a JSON string as it is: printable ASCII, no quote or
    backslash (isascii is a flag check; the searches run at memory speed)."""
    return text.isascii() and '"' not in text and "\\" not in text and text.isprintable()


def _json_values(values: list[str], ids: list[str | None] | None) -> str | None:
    """The JSON parameter of a group: [values] or {value: id}; None when some text would
    not survive json_each (a NUL ends SQLite's text there; a lone surrogate would be stored
    as invalid UTF-8): such a group goes row by row, as before.

    Plain values and ids (hex digests, numeric ids: the common case) are joined directly:
    json.dumps of a dict costs ~0.7 µs an entry, in the writer thread that shares Python's
    lock with the reader.
    """
    if values and _plain("".join(values)):
        if ids is None:
            return '["' + '","'.join(values) + '"]'
        if None not in ids:
            given = cast(list[str], ids)
            if _plain("".join(given)):
                pairs = map('":"'.join, zip(values, given, strict=True))
                return '{"' + '","'.join(pairs) + '"}'
    texts = "".join(values) + "".join(i for i in ids or () if i is not None)
    if "\x00" in texts:
        return None
    try:
        texts.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return json.dumps(values if ids is None else dict(zip(values, ids, strict=True)))


def _entries(items: Sequence[Entry | Bulk]) -> Sequence[Entry]:
    if not any(type(e) is Bulk for e in items):
        return cast(Sequence[Entry], items)
    out: list[Entry] = []
    for e in items:
        if isinstance(e, Bulk):
            out.extend(e.entries())
        else:
            out.append(e)
    return out


def entry_rows(set_id: int, entries: Sequence[Entry]) -> list[tuple[Any, ...]]:
    """Entries as insert tuples; metadata shared by a record's entries is encoded once."""
    rows = []
    last_meta: object = None
    last_json: str | None = None
    for e in entries:
        meta = e.metadata
        if meta is not last_meta:
            last_meta = meta
            last_json = _extra(meta)
        rows.append(
            (
                set_id,
                e.algorithm,
                e.value,
                e.category,
                e.source_scheme,
                e.source_category,
                e.source_id,
                e.confirmations,
                e.first_seen,
                e.comment,
                last_json,
            )
        )
    return rows


class EntryWriter:
    """Bulk insert into one set over one held connection.

    Unstaged (the default), each ``add`` inserts and commits a batch. Staged (bulk imports),
    on SQLite ``add`` only appends to a temporary table and ``flush`` writes everything in
    key order in one transaction; leaving without ``flush`` (an error, Ctrl-C) drops the
    staged rows, which a re-run adds. PostgreSQL ignores ``staged``: it inserts per batch.
    """

    def __init__(self, engine: Engine, set_id: int, *, staged: bool = False) -> None:
        self.engine = engine
        self.set_id = set_id
        self._sqlite = engine.dialect.name == "sqlite"
        self.staged = staged and self._sqlite
        self._raw: Any = None
        self._conn: sa.Connection | None = None
        self._abort: BaseException | None = None
        self._json = False  # whether this SQLite has json_each (3.38+ always; older: JSON1)
        self._direct = 0  # entries still to be inserted straight into the set (staged mode)
        # Groups for the next direct statements, merged over batches while no value repeats:
        # with each value once, the order of the statements cannot change which row wins.
        self._pending: dict[tuple[Any, ...], _Group] = {}
        self._pending_values: dict[str, set[str]] = {}  # algorithm -> values pending
        self._pending_count = 0

    def __enter__(self) -> EntryWriter:
        if self._sqlite:
            self._raw = self.engine.raw_connection()
            # A bigger page cache keeps the unique index's hot pages in memory during bulk
            # inserts (bounded: 64 MiB), instead of SQLite's 2 MiB default.
            self._raw.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            if self.staged:
                self._raw.execute(f"DROP TABLE IF EXISTS temp.{_STAGING}")
                self._raw.execute(f"CREATE TEMP TABLE {_STAGING} ({_COLUMNS})")
                self._raw.commit()
                try:
                    self._raw.execute("SELECT count(*) FROM json_each('[]')").fetchone()
                    self._json = True
                except sqlite3.OperationalError:  # a build without JSON1: row by row
                    self._json = False
                if self._json:
                    (present,) = self._raw.execute(
                        "SELECT count(*) FROM hash_entries WHERE set_id = ?", (self.set_id,)
                    ).fetchone()
                    self._direct = max(0, DIRECT_ROWS - int(present))
        else:
            self._conn = self.engine.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._raw is not None:
            try:
                if self.staged:
                    self._raw.rollback()
                    self._raw.execute(f"DROP TABLE IF EXISTS temp.{_STAGING}")
                    self._raw.commit()
            finally:
                self._raw.close()
        if self._conn is not None:
            self._conn.close()

    def add(self, entries: Sequence[Entry | Bulk]) -> int:
        """Insert (or stage) a batch; returns how many were new (staged: 0 until ``flush``)."""
        if not entries:
            return 0
        if self.staged and self._json:
            return self._stage(entries)
        rows = entry_rows(self.set_id, _entries(entries))
        if self._raw is not None:
            if not self.staged:
                # In key order the unique index's pages are touched in order: far fewer
                # page reads and writes than random order, for the same result.
                rows.sort(key=_KEY)
            cur = self._raw.cursor()
            try:
                cur.executemany(_STAGE_INSERT if self.staged else _SQLITE_INSERT, rows)
                added = 0 if self.staged else int(cur.rowcount)
                self._raw.commit()
            except BaseException:
                self._raw.rollback()
                raise
            finally:
                cur.close()
            return added
        assert self._conn is not None
        # Here, not at the top: SQLite runs (every scan loads the sets) skip its import.
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = (
            pg_insert(ENTRIES)
            # no conflict target: both partial unique indexes of hashsets_0002 are arbiters
            .on_conflict_do_nothing()
            .returning(ENTRIES.c.id)
        )
        params = [dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in rows]
        with self._conn.begin():
            result = self._conn.execute(stmt, params)
            added = len(result.all())
        return added

    def _stage(self, entries: Sequence[Entry | Bulk]) -> int:
        """Insert the first entries of the import directly (in statements of DIRECT_BATCH),
        stage the rest; returns how many were added to the set."""
        groups = entry_groups(entries)
        count = sum(len(values) for values, _ in groups.values())
        if self._direct > 0:
            added = 0
            if any(
                not self._pending_values.get(key[0], set()).isdisjoint(values)
                for key, (values, _) in groups.items()
            ):
                added = self._write_pending()  # a value again: what came first goes in first
            for key, (values, ids) in groups.items():
                _merge(self._pending, key, values, ids)
                self._pending_values.setdefault(key[0], set()).update(values)
            self._pending_count += count
            self._direct -= count
            if self._pending_count >= DIRECT_BATCH or self._direct <= 0:
                added += self._write_pending()
            return added
        self._write_groups([groups], f"temp.{_STAGING}")
        return 0

    def _write_pending(self) -> int:
        added = self._write_groups([self._pending], "hash_entries")
        # (kept if the write failed: a retry has them)
        self._pending, self._pending_values, self._pending_count = {}, {}, 0
        return added

    def _write_groups(self, batches: list[dict[tuple[Any, ...], _Group]], target: str) -> int:
        """Write grouped entries, batch after batch, in one transaction, to the staging table
        or (``hash_entries``) to the set; returns how many were added to the set."""
        raw = self._raw
        staging = target.startswith("temp.")
        added = 0
        cur = raw.cursor()
        try:
            for groups in batches:
                added += self._write_batch(cur, groups, target, staging)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            cur.close()
        return 0 if staging else added

    def _write_batch(
        self, cur: Any, groups: dict[tuple[Any, ...], _Group], target: str, staging: bool
    ) -> int:
        count = sum(len(values) for values, _ in groups.values())
        singles = len(groups) * _MIN_GROUP > count  # rich records: few entries per group
        rows: list[tuple[Any, ...]] = []
        added = 0
        for key, (values, ids) in groups.items():
            algorithm, category, scheme, source_category, *rest = key
            param = None if singles else _json_values(values, ids)
            if param is None:  # one row each
                rows.extend(
                    (self.set_id, algorithm, v, category, scheme, source_category, i, *rest)
                    for v, i in zip(values, ids or [None] * len(values), strict=True)
                )
                continue
            cur.execute(
                _GROUP_SQL[target, ids is not None],
                (self.set_id, algorithm, category, scheme, source_category, *rest, param),
            )
            added += max(0, int(cur.rowcount))
        if rows:
            if not staging:
                rows.sort(key=_KEY)
            cur.executemany(_STAGE_INSERT if staging else _SQLITE_INSERT, rows)
            added += max(0, int(cur.rowcount))
        return added

    def flush(self, tick: Callable[[], None] | None = None, *, steps: int = TICK_STEPS) -> int:
        """Write what is left: the last direct rows, then the staged rows in key order, in one
        transaction; returns how many were new.

        ``tick`` is called every ``steps`` SQLite VM steps (progress; an exception it raises,
        e.g. Ctrl-C, aborts the statement and rolls its transaction back, then propagates).
        """
        if not self.staged:
            return 0
        raw = self._raw
        self._abort = None

        def on_step() -> int:
            try:
                if tick is not None:
                    tick()
            except BaseException as exc:  # SQLite would swallow it: keep it, stop the statement
                self._abort = exc
                return 1
            return 0

        raw.set_progress_handler(on_step, steps)
        cur = raw.cursor()
        try:
            try:
                direct = self._write_pending() if self._pending else 0
            except BaseException:
                if self._abort is not None:
                    raise self._abort from None
                raise
            cur.execute(_STAGE_FLUSH)
            added = int(cur.rowcount)
            raw.commit()
        except BaseException:
            raw.rollback()
            if self._abort is not None:
                raise self._abort from None
            raise
        finally:
            cur.close()
            raw.set_progress_handler(None, 0)
        raw.execute(f"DELETE FROM temp.{_STAGING}")
        raw.commit()
        return direct + added


class HashSetStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- sets ---------------------------------------------------------------------------
    def find_set(self, name: str) -> HashSetInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(SETS).where(SETS.c.name == name)).first()
        return _info(row) if row else None

    def get_set(self, name: str) -> HashSetInfo:
        info = self.find_set(name)
        if info is None:
            raise NotFound(f"no hash set named {name!r}")
        return info

    def list_sets(self) -> list[HashSetInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(SETS).order_by(SETS.c.name)).all()
        return [_info(r) for r in rows]

    def create_set(self, info: HashSetInfo, *, status: str = "importing") -> HashSetInfo:
        if not info.name.strip():
            raise InputError("a hash set needs a name")
        stamp = now()
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(SETS.c.id).where(SETS.c.name == info.name)).first()
            if exists:
                raise Conflict(f"a hash set named {info.name!r} already exists")
            conn.execute(
                SETS.insert().values(
                    name=info.name,
                    version=info.version,
                    owner_country=info.owner_country,
                    owner_agency=info.owner_agency,
                    description=info.description,
                    caveats=info.caveats,
                    source_format=info.source_format,
                    status=status,
                    entry_count=0,
                    pdq_threshold=info.pdq_threshold,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        return self.get_set(info.name)

    def set_status(self, set_id: int, status: str) -> HashSetInfo:
        """Set the status and recount the entries (the count is what reports show)."""
        with self.engine.begin() as conn:
            count = conn.execute(
                sa.select(func.count()).select_from(ENTRIES).where(ENTRIES.c.set_id == set_id)
            ).scalar_one()
            conn.execute(
                SETS.update()
                .where(SETS.c.id == set_id)
                .values(status=status, entry_count=count, updated_at=now())
            )
            row = conn.execute(sa.select(SETS).where(SETS.c.id == set_id)).one()
        return _info(row)

    def set_pdq_threshold(self, name: str, threshold: int | None) -> HashSetInfo:
        """The set's own PDQ match distance (None: back to the scan's default)."""
        if threshold is not None and not 0 <= threshold <= 256:
            raise InputError(f"a PDQ threshold is a distance from 0 to 256 bits, got {threshold}")
        info = self.get_set(name)
        with self.engine.begin() as conn:
            conn.execute(
                SETS.update()
                .where(SETS.c.id == info.id)
                .values(pdq_threshold=threshold, updated_at=now())
            )
        return self.get_set(name)

    def pdq_metadata(
        self, set_names: Sequence[str] | None = None
    ) -> dict[str, tuple[int | None, str | None]]:
        """PDQ value -> (quality, view label) recorded by add-files, for complete sets.

        Quality: as hashed (the lowest if the value was recorded twice); view: the index view
        the value is a hash of (``crop10-tl``…), None for an image's own hash. Entries
        imported from other tools usually carry neither and are not listed.
        """
        query = (
            sa.select(ENTRIES.c.value, ENTRIES.c.extra)
            .join(SETS, SETS.c.id == ENTRIES.c.set_id)
            .where(
                SETS.c.status == "complete",
                ENTRIES.c.algorithm == "pdq",
                ENTRIES.c.extra.like('%"pdq_%'),
            )
        )
        if set_names is not None:
            query = query.where(SETS.c.name.in_(list(set_names)))
        out: dict[str, tuple[int | None, str | None]] = {}
        with self.engine.connect() as conn:
            for value, extra in conn.execute(query):
                meta = json.loads(extra)
                quality = meta.get("pdq_quality")
                view = meta.get("pdq_view")
                quality = quality if isinstance(quality, int) else None
                view = view if isinstance(view, str) else None
                if quality is None and view is None:
                    continue
                known_q, known_v = out.get(value, (None, None))
                if known_q is not None and (quality is None or known_q < quality):
                    quality = known_q
                out[value] = (quality, view if known_v is None else known_v)
        return out

    def count_entries(self, set_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(func.count()).select_from(ENTRIES).where(ENTRIES.c.set_id == set_id)
                ).scalar_one()
            )

    def delete_set(self, name: str) -> int:
        """Remove a set, its entries and its import records; returns the entries removed."""
        info = self.get_set(name)
        assert info.id is not None
        with self.engine.begin() as conn:
            count = conn.execute(
                sa.select(func.count()).select_from(ENTRIES).where(ENTRIES.c.set_id == info.id)
            ).scalar_one()
            # Explicit deletes: do not depend on the connection's foreign-key pragma.
            conn.execute(ENTRIES.delete().where(ENTRIES.c.set_id == info.id))
            conn.execute(IMPORTS.delete().where(IMPORTS.c.set_id == info.id))
            conn.execute(SETS.delete().where(SETS.c.id == info.id))
        return int(count)

    # -- entries ------------------------------------------------------------------------
    @contextmanager
    def writer(self, set_id: int, *, staged: bool = False) -> Iterator[EntryWriter]:
        with EntryWriter(self.engine, set_id, staged=staged) as w:
            yield w

    def add_entries(self, set_id: int, entries: Sequence[Entry]) -> int:
        with self.writer(set_id) as w:
            return w.add(entries)

    def iter_entries(self, name: str, *, batch: int = 10_000) -> Iterator[Entry]:
        """Entries of a set, those of one source record (source id) adjacent, streamed."""
        info = self.get_set(name)
        query = (
            sa.select(ENTRIES)
            .where(ENTRIES.c.set_id == info.id)
            .order_by(ENTRIES.c.source_id, ENTRIES.c.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(query)
            for row in result:
                yield _entry(row)

    def iter_memberships(
        self, set_names: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str, Membership]]:
        """(algorithm, value, membership) of every entry of complete sets (or those named)."""
        query = (
            sa.select(
                ENTRIES.c.algorithm,
                ENTRIES.c.value,
                SETS.c.name,
                SETS.c.version,
                ENTRIES.c.category,
                ENTRIES.c.source_category,
            )
            .join(SETS, SETS.c.id == ENTRIES.c.set_id)
            .where(SETS.c.status == "complete")
        )
        if set_names is not None:
            for name in set_names:
                self.get_set(name)
            query = query.where(SETS.c.name.in_(list(set_names)))
        cache: dict[tuple[str, str, str, str], Membership] = {}
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=50_000).execute(query)
            for algorithm, value, name, version, category, source_category in result:
                key = (name, version, category, source_category or "")
                membership = cache.get(key)
                if membership is None:
                    membership = cache[key] = Membership(*key)
                yield algorithm, value, membership

    def summaries(self, set_names: Sequence[str] | None = None) -> list[HashSetSummary]:
        sets = [s for s in self.list_sets() if s.status == "complete"]
        if set_names is not None:
            wanted = set(set_names)
            sets = [s for s in sets if s.name in wanted]
        return [
            HashSetSummary(
                s.name,
                s.version,
                s.owner_country,
                s.owner_agency,
                s.source_format,
                s.entry_count,
                s.updated_at,
                s.pdq_threshold,
            )
            for s in sets
        ]

    # -- analysis -----------------------------------------------------------------------
    def stats(self) -> list[dict[str, Any]]:
        """Per set: entries by algorithm and by category."""
        query = (
            sa.select(SETS.c.name, ENTRIES.c.algorithm, ENTRIES.c.category, func.count())
            .join(SETS, SETS.c.id == ENTRIES.c.set_id)
            .group_by(SETS.c.name, ENTRIES.c.algorithm, ENTRIES.c.category)
        )
        result: dict[str, dict[str, Any]] = {}
        for info in self.list_sets():
            result[info.name] = {
                "name": info.name,
                "version": info.version,
                "status": info.status,
                "entries": 0,
                "by_algorithm": {},
                "by_category": {},
            }
        with self.engine.connect() as conn:
            for name, algorithm, category, count in conn.execute(query):
                item = result[name]
                item["entries"] += count
                item["by_algorithm"][algorithm] = item["by_algorithm"].get(algorithm, 0) + count
                item["by_category"][category] = item["by_category"].get(category, 0) + count
        return list(result.values())

    def conflicts(self, limit: int | None = 1000) -> tuple[list[Conflicting], int]:
        """Hashes whose normalised categories disagree across sets, and how many there are."""
        disagreeing = (
            sa.select(ENTRIES.c.algorithm, ENTRIES.c.value)
            .group_by(ENTRIES.c.algorithm, ENTRIES.c.value)
            .having(func.count(sa.distinct(ENTRIES.c.category)) > 1)
        ).subquery()
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(func.count()).select_from(disagreeing)).scalar_one()
            keys = sa.select(disagreeing).order_by(disagreeing.c.algorithm, disagreeing.c.value)
            if limit is not None:
                keys = keys.limit(limit)
            chosen = keys.subquery()
            rows = conn.execute(
                sa.select(
                    ENTRIES.c.algorithm,
                    ENTRIES.c.value,
                    SETS.c.name,
                    ENTRIES.c.category,
                    ENTRIES.c.source_category,
                )
                .join(SETS, SETS.c.id == ENTRIES.c.set_id)
                .join(
                    chosen,
                    sa.and_(
                        chosen.c.algorithm == ENTRIES.c.algorithm,
                        chosen.c.value == ENTRIES.c.value,
                    ),
                )
                .order_by(ENTRIES.c.algorithm, ENTRIES.c.value, SETS.c.name)
            ).all()
        grouped: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
        for algorithm, value, name, category, source_category in rows:
            grouped.setdefault((algorithm, value), []).append((name, category, source_category))
        found = [Conflicting(a, v, tuple(m)) for (a, v), m in grouped.items()]
        return found, int(total)

    def diff(self, a: str, b: str, examples: int = 10) -> SetDiff:
        """Entries only in A, only in B, in both, and in both with another category."""
        ia, ib = self.get_set(a), self.get_set(b)
        ea, eb = ENTRIES.alias("ea"), ENTRIES.alias("eb")
        on = sa.and_(
            eb.c.set_id == ib.id, eb.c.algorithm == ea.c.algorithm, eb.c.value == ea.c.value
        )
        with self.engine.connect() as conn:
            count_a = self.count_entries_conn(conn, ia.id)
            count_b = self.count_entries_conn(conn, ib.id)
            both = conn.execute(
                sa.select(func.count()).select_from(ea.join(eb, on)).where(ea.c.set_id == ia.id)
            ).scalar_one()
            changed_q = (
                sa.select(ea.c.algorithm, ea.c.value, ea.c.category, eb.c.category)
                .select_from(ea.join(eb, on))
                .where(ea.c.set_id == ia.id, ea.c.category != eb.c.category)
            )
            changed = conn.execute(
                sa.select(func.count()).select_from(changed_q.subquery())
            ).scalar_one()
            changed_examples = conn.execute(changed_q.limit(examples)).all()
            only_a_q = (
                sa.select(ea.c.algorithm, ea.c.value)
                .select_from(ea.outerjoin(eb, on))
                .where(ea.c.set_id == ia.id, eb.c.id.is_(None))
                .limit(examples)
            )
            only_a_examples = conn.execute(only_a_q).all()
            on_b = sa.and_(
                ea.c.set_id == ia.id, ea.c.algorithm == eb.c.algorithm, ea.c.value == eb.c.value
            )
            only_b_examples = conn.execute(
                sa.select(eb.c.algorithm, eb.c.value)
                .select_from(eb.outerjoin(ea, on_b))
                .where(eb.c.set_id == ib.id, ea.c.id.is_(None))
                .limit(examples)
            ).all()
        return SetDiff(
            a,
            b,
            only_a=count_a - both,
            only_b=count_b - both,
            both=int(both),
            category_changed=int(changed),
            examples_only_a=tuple((r[0], r[1]) for r in only_a_examples),
            examples_only_b=tuple((r[0], r[1]) for r in only_b_examples),
            examples_changed=tuple((r[0], r[1], r[2], r[3]) for r in changed_examples),
        )

    @staticmethod
    def count_entries_conn(conn: sa.Connection, set_id: int | None) -> int:
        return int(
            conn.execute(
                sa.select(func.count()).select_from(ENTRIES).where(ENTRIES.c.set_id == set_id)
            ).scalar_one()
        )

    # -- provenance ---------------------------------------------------------------------
    def start_import(self, set_id: int, record: ImportRecord) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                IMPORTS.insert().values(
                    set_id=set_id,
                    source_file=record.source_file,
                    source_sha256=record.source_sha256,
                    source_size=record.source_size,
                    format=record.format,
                    operator=record.operator,
                    started_at=record.started_at,
                    status="running",
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def mark_interrupted(self, set_id: int) -> int:
        """Imports of a set still "running" (the process died): mark them interrupted."""
        with self.engine.begin() as conn:
            result = conn.execute(
                IMPORTS.update()
                .where(IMPORTS.c.set_id == set_id, IMPORTS.c.status == "running")
                .values(status="interrupted", detail="process ended during the import")
            )
        return int(result.rowcount or 0)

    def finish_import(
        self,
        import_id: int,
        *,
        status: str,
        rows_read: int,
        entries_added: int,
        duplicates: int,
        rejected: int,
        detail: str = "",
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                IMPORTS.update()
                .where(IMPORTS.c.id == import_id)
                .values(
                    status=status,
                    finished_at=now(),
                    rows_read=rows_read,
                    entries_added=entries_added,
                    duplicates=duplicates,
                    rejected=rejected,
                    detail=detail[:4000],
                )
            )

    def imports(self, name: str) -> list[ImportRecord]:
        info = self.get_set(name)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(IMPORTS).where(IMPORTS.c.set_id == info.id).order_by(IMPORTS.c.id)
            ).all()
        return [
            ImportRecord(
                set_name=name,
                source_file=r.source_file,
                source_sha256=r.source_sha256,
                source_size=int(r.source_size),
                format=r.format,
                operator=r.operator,
                started_at=_utc(r.started_at) or now(),
                finished_at=_utc(r.finished_at),
                rows_read=int(r.rows_read),
                entries_added=int(r.entries_added),
                duplicates=int(r.duplicates),
                rejected=int(r.rejected),
                status=r.status,
                detail=r.detail,
            )
            for r in rows
        ]
