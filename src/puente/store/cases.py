"""Cases, evidence, the custody log and scan results: tables and the CaseStore.

Custody entries are only ever inserted (never updated or deleted by Puente); the case row
keeps the head of the chain (last seq and hash) so that truncation is detected too.
Scan items are unique per (scan, path) and written with INSERT … ON CONFLICT DO NOTHING,
so a resumed scan that sees a path again stores it once. They are written through the
driver's executemany with plain tuples (one row per file of the evidence).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from puente import __version__
from puente.cases import custody as chain
from puente.cases.model import (
    Case,
    CustodyEntry,
    EvidenceItem,
    HashSetUsed,
    Scan,
    ScanItem,
    ScanMatch,
    check_country,
    check_text,
    now_utc,
    parse_source_hash,
    utc,
)
from puente.errors import Conflict, InputError, NotFound
from puente.store.base import METADATA

TZ = sa.DateTime(timezone=True)


CASES = sa.Table(
    "cases",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("title", String(500), nullable=False),
    sa.Column("country", String(2), nullable=False),
    sa.Column("agency", String(500), nullable=False),
    sa.Column("reference", String(200)),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("custody_head_seq", Integer, default=0, nullable=False),
    sa.Column("custody_head_hash", String(64), default=chain.GENESIS, nullable=False),
)


EVIDENCE = sa.Table(
    "evidence",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("case_id", Integer, ForeignKey("cases.id"), index=True, nullable=False),
    sa.Column("path", Text, nullable=False),
    sa.Column("description", Text, nullable=False),
    sa.Column("acquired_by", String(200)),
    sa.Column("acquired_at", TZ),
    sa.Column("source_hash", String(80)),
    sa.Column("registered_at", TZ, nullable=False),
)


CUSTODY = sa.Table(
    "custody_log",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("case_id", Integer, ForeignKey("cases.id"), index=True, nullable=False),
    sa.Column("seq", Integer, nullable=False),
    sa.Column("at", TZ, nullable=False),
    sa.Column("operator", String(200), nullable=False),
    sa.Column("action", String(50), nullable=False),
    sa.Column("details", Text, nullable=False),
    sa.Column("prev_hash", String(64), nullable=False),
    sa.Column("entry_hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq", name="uq_custody_log_case_seq"),
)


SCANS = sa.Table(
    "scans",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("case_id", Integer, ForeignKey("cases.id"), index=True, nullable=False),
    sa.Column("evidence_id", Integer, ForeignKey("evidence.id"), index=True, nullable=False),
    sa.Column("status", String(20), nullable=False),
    sa.Column("settings_digest", String(64), nullable=False),
    sa.Column("started_at", TZ, nullable=False),
    sa.Column("finished_at", TZ),
    sa.Column("hashsets", Text, nullable=False),
    sa.Column("puente_version", String(40), nullable=False),
)


SCAN_ITEMS = sa.Table(
    "scan_items",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    # No index of its own (triage_0003): the unique (scan_id, path_key) index serves.
    sa.Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    sa.Column("path", Text, nullable=False),
    sa.Column("path_key", String(64), nullable=False),
    sa.Column("size", BigInteger),
    sa.Column("mtime", Float),
    sa.Column("atime", Float),
    sa.Column("ctime", Float),
    sa.Column("kind", String(200), nullable=False),
    sa.Column("md5", String(32), index=True),
    sa.Column("sha1", String(40)),
    sa.Column("sha256", String(64)),
    sa.Column("status", String(20), nullable=False),
    sa.Column("detail", Text),
    sa.Column("depth", Integer, nullable=False),
    sa.Column("container", Text),
    # triage_0002: perceptual hashes
    sa.Column("pdq", String(64)),
    sa.Column("pdq_quality", Integer),
    sa.Column("pdq_decode_mode", String(40)),
    sa.Column("pdq_dihedral", Text),
    sa.Column("vpdq", Text),
    # Unique on a digest of the path: member names can be longer than a PostgreSQL
    # B-tree entry allows (about 2.7 kB), and a long name must not stop a scan.
    UniqueConstraint("scan_id", "path_key", name="uq_scan_items_scan_path_key"),
)


SCAN_MATCHES = sa.Table(
    "scan_matches",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("item_id", Integer, ForeignKey("scan_items.id"), index=True, nullable=False),
    sa.Column("algorithm", String(20), nullable=False),
    sa.Column("value", String(300), nullable=False),
    sa.Column("set_name", String(200), nullable=False),
    sa.Column("set_version", String(100), nullable=False),
    sa.Column("category", String(100), nullable=False),
    sa.Column("source_category", String(200), nullable=False),
    # triage_0002: perceptual matches
    sa.Column("distance", Integer),
    sa.Column("quality", Integer),
    sa.Column("variant", String(40)),
    sa.Column("detail", String(300)),
    UniqueConstraint(
        "item_id",
        "algorithm",
        "value",
        "set_name",
        "set_version",
        name="uq_scan_matches_item_value_set",
    ),
)


def _case(row: Any) -> Case:
    return Case(
        id=row.id,
        title=row.title,
        country=row.country,
        agency=row.agency,
        reference=row.reference,
        created_at=utc(row.created_at),
    )


def _evidence(row: Any) -> EvidenceItem:
    return EvidenceItem(
        id=row.id,
        case_id=row.case_id,
        path=row.path,
        description=row.description,
        acquired_by=row.acquired_by,
        acquired_at=utc(row.acquired_at) if row.acquired_at else None,
        source_hash=row.source_hash,
        registered_at=utc(row.registered_at),
    )


def _custody(row: Any) -> CustodyEntry:
    return CustodyEntry(
        seq=row.seq,
        case_id=row.case_id,
        at=utc(row.at),
        operator=row.operator,
        action=row.action,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _scan(row: Any) -> Scan:
    return Scan(
        id=row.id,
        case_id=row.case_id,
        evidence_id=row.evidence_id,
        status=row.status,
        settings_digest=row.settings_digest,
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at) if row.finished_at else None,
        hashsets=tuple(HashSetUsed(**h) for h in json.loads(row.hashsets)),
        puente_version=row.puente_version,
    )


_ITEM_COLUMNS = (
    "path",
    "size",
    "mtime",
    "atime",
    "ctime",
    "kind",
    "md5",
    "sha1",
    "sha256",
    "status",
    "detail",
    "depth",
    "container",
    "pdq",
    "pdq_quality",
    "pdq_decode_mode",
    "pdq_dihedral",
    "vpdq",
)
_IN_CHUNK = 500  # keeps IN (...) lists well under SQLite's bound-parameter limit


def path_key(path: str) -> str:
    """SHA-256 of a stored path: what uniqueness per scan is enforced on."""
    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()


# Order of the values in the rows that CaseStore.add_rows() takes.
ITEM_ROW_COLUMNS = ("scan_id", "path_key", *_ITEM_COLUMNS)
MATCH_ROW_COLUMNS = tuple(f.name for f in fields(ScanMatch))
# A plain row (a top-level file read whole, no perceptual hash) gives only these; the rest
# are the defaults below, written as constants: binding a parameter costs even for NULL.
PLAIN_ROW_COLUMNS = ITEM_ROW_COLUMNS[:11]
_PLAIN_DEFAULTS = (
    ("status", "'ok'"),
    ("detail", "NULL"),
    ("depth", "0"),
    ("container", "NULL"),
    ("pdq", "NULL"),
    ("pdq_quality", "NULL"),
    ("pdq_decode_mode", "NULL"),
    ("pdq_dihedral", "NULL"),
    ("vpdq", "NULL"),
)
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def item_row(scan_id: int, item: ScanItem) -> tuple[Any, ...]:
    """A scan item as a row for :meth:`CaseStore.add_rows` (matches go separately)."""
    return (scan_id, path_key(item.path), *[getattr(item, c) for c in _ITEM_COLUMNS])


def match_row(match: ScanMatch) -> tuple[Any, ...]:
    return tuple(getattr(match, c) for c in MATCH_ROW_COLUMNS)


@lru_cache(maxsize=16)
def _insert_sql_for(
    dialect: str,
    paramstyle: str,
    table: str,
    columns: tuple[str, ...],
    constants: tuple[tuple[str, str], ...] = (),
) -> str:
    """INSERT … ON CONFLICT DO NOTHING (SQLite ≥ 3.24 and PostgreSQL): idempotent batches.

    ``constants`` are further (column, SQL literal) pairs, the same for every row."""
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the two supported ones
        raise InputError(f"unsupported database dialect {dialect!r}")
    mark = _MARKS.get(paramstyle)
    if mark is None:  # pragma: no cover - sqlite3 and psycopg use the styles above
        raise InputError(f"unsupported driver parameter style {paramstyle!r}")
    names = ", ".join((*columns, *(name for name, _ in constants)))
    values = ", ".join([mark] * len(columns) + [literal for _, literal in constants])
    return f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"


def _insert_sql(
    conn: sa.Connection,
    table: str,
    columns: tuple[str, ...],
    constants: tuple[tuple[str, str], ...] = (),
) -> str:
    return _insert_sql_for(conn.dialect.name, conn.dialect.paramstyle, table, columns, constants)


class CaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- cases ---------------------------------------------------------------------------
    def create_case(
        self,
        title: str,
        country: str,
        agency: str,
        reference: str | None,
        operator: str,
        *,
        at: datetime | None = None,
    ) -> Case:
        title = check_text("title", title)
        country = check_country(country)
        agency = check_text("agency", agency)
        reference = check_text("reference", reference, max_length=200) if reference else None
        operator = check_text("operator", operator, max_length=200)
        created = utc(at or now_utc())
        with self.engine.begin() as conn:
            case_id = conn.execute(
                sa.insert(CASES).values(
                    title=title,
                    country=country,
                    agency=agency,
                    reference=reference,
                    created_at=created,
                    custody_head_seq=0,
                    custody_head_hash=chain.GENESIS,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            details = {"title": title, "country": country, "agency": agency}
            if reference:
                details["reference"] = reference
            self._append(conn, int(case_id), "case_created", details, operator, created)
        return self.get_case(int(case_id))

    def get_case(self, case_id: int) -> Case:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(CASES).where(CASES.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id} does not exist (see 'puente case list')")
        return _case(row)

    def list_cases(self) -> list[Case]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(CASES).order_by(CASES.c.id)).all()
        return [_case(r) for r in rows]

    def custody_head(self, case_id: int) -> tuple[int, str]:
        self.get_case(case_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(CASES.c.custody_head_seq, CASES.c.custody_head_hash).where(
                    CASES.c.id == case_id
                )
            ).one()
        return int(row[0]), str(row[1])

    # -- evidence ------------------------------------------------------------------------
    def add_evidence(
        self,
        case_id: int,
        path: str,
        description: str,
        operator: str,
        *,
        acquired_by: str | None = None,
        acquired_at: datetime | None = None,
        source_hash: str | None = None,
        at: datetime | None = None,
    ) -> EvidenceItem:
        self.get_case(case_id)
        description = check_text("description", description, max_length=5000)
        operator = check_text("operator", operator, max_length=200)
        acquired_by = (
            check_text("acquired_by", acquired_by, max_length=200) if acquired_by else None
        )
        source_hash = parse_source_hash(source_hash) if source_hash else None
        registered = utc(at or now_utc())
        with self.engine.begin() as conn:
            evidence_id = conn.execute(
                sa.insert(EVIDENCE).values(
                    case_id=case_id,
                    path=path,
                    description=description,
                    acquired_by=acquired_by,
                    acquired_at=utc(acquired_at) if acquired_at else None,
                    source_hash=source_hash,
                    registered_at=registered,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            details: dict[str, Any] = {
                "evidence_id": int(evidence_id),
                "path": path,
                "description": description,
            }
            if acquired_by:
                details["acquired_by"] = acquired_by
            if acquired_at:
                details["acquired_at"] = utc(acquired_at).isoformat()
            if source_hash:
                details["source_hash"] = source_hash
            self._append(conn, case_id, "evidence_registered", details, operator, registered)
        return self.get_evidence(case_id, int(evidence_id))

    def get_evidence(self, case_id: int, evidence_id: int) -> EvidenceItem:
        self.get_case(case_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(EVIDENCE).where(
                    EVIDENCE.c.id == evidence_id, EVIDENCE.c.case_id == case_id
                )
            ).first()
        if row is None:
            raise NotFound(f"evidence {evidence_id} does not exist in case {case_id}")
        return _evidence(row)

    def list_evidence(self, case_id: int) -> list[EvidenceItem]:
        self.get_case(case_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(EVIDENCE).where(EVIDENCE.c.case_id == case_id).order_by(EVIDENCE.c.id)
            ).all()
        return [_evidence(r) for r in rows]

    # -- custody -------------------------------------------------------------------------
    def append_custody(
        self,
        case_id: int,
        action: str,
        details: dict[str, Any],
        operator: str,
        *,
        at: datetime | None = None,
    ) -> CustodyEntry:
        self.get_case(case_id)
        operator = check_text("operator", operator, max_length=200)
        # Two writers racing for the same seq: the unique (case_id, seq) rejects one; retry.
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    return self._append(conn, case_id, action, details, operator, at or now_utc())
            except SAIntegrityError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _append(
        self,
        conn: sa.Connection,
        case_id: int,
        action: str,
        details: dict[str, Any],
        operator: str,
        at: datetime,
    ) -> CustodyEntry:
        cases = CASES
        # Take the case row's write lock first (a no-op update): concurrent appenders to one
        # case queue here instead of reading the same head (SQLite: no stale read snapshot).
        locked = conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id)
            .values(custody_head_seq=cases.c.custody_head_seq)
        )
        if locked.rowcount != 1:
            raise NotFound(f"case {case_id} does not exist (see 'puente case list')")
        last = conn.execute(
            sa.select(CUSTODY)
            .where(CUSTODY.c.case_id == case_id)
            .order_by(CUSTODY.c.seq.desc())
            .limit(1)
        ).first()
        previous = _custody(last) if last else None
        entry = chain.next_entry(previous, case_id, at, operator, action, details)
        conn.execute(
            sa.insert(CUSTODY).values(
                case_id=case_id,
                seq=entry.seq,
                at=entry.at,
                operator=entry.operator,
                action=entry.action,
                details=json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
                prev_hash=entry.prev_hash,
                entry_hash=entry.entry_hash,
            )
        )
        conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id)
            .values(custody_head_seq=entry.seq, custody_head_hash=entry.entry_hash)
        )
        return entry

    def append_custody_in(
        self,
        conn: sa.Connection,
        case_id: int,
        action: str,
        details: dict[str, Any],
        operator: str,
        at: datetime,
    ) -> CustodyEntry:
        """Append within the caller's transaction, so the change and its entry commit together."""
        return self._append(conn, case_id, action, details, operator, at)

    def custody(self, case_id: int) -> list[CustodyEntry]:
        """Entries in the order they were written (row order, not seq: reordering shows)."""
        self.get_case(case_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(CUSTODY).where(CUSTODY.c.case_id == case_id).order_by(CUSTODY.c.id)
            ).all()
        return [_custody(r) for r in rows]

    # -- scans ---------------------------------------------------------------------------
    def start_scan(
        self,
        case_id: int,
        evidence_id: int,
        settings_digest: str,
        hashsets: Sequence[HashSetUsed],
        operator: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> Scan:
        self.get_evidence(case_id, evidence_id)
        started = now_utc()
        with self.engine.begin() as conn:
            scan_id = int(
                conn.execute(
                    sa.insert(SCANS).values(
                        case_id=case_id,
                        evidence_id=evidence_id,
                        status="running",
                        settings_digest=settings_digest,
                        started_at=started,
                        finished_at=None,
                        hashsets=json.dumps([asdict(h) for h in hashsets], sort_keys=True),
                        puente_version=__version__,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            info: dict[str, Any] = {
                "scan_id": scan_id,
                "evidence_id": evidence_id,
                "settings_digest": settings_digest,
                "hashsets": [f"{h.name}@{h.version}" for h in hashsets],
                "puente_version": __version__,
            }
            info.update(details or {})
            self._append(conn, case_id, "scan_started", info, operator, started)
        return self.get_scan(scan_id)

    def get_scan(self, scan_id: int) -> Scan:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(SCANS).where(SCANS.c.id == scan_id)).first()
        if row is None:
            raise NotFound(f"scan {scan_id} does not exist")
        return _scan(row)

    def scans(self, case_id: int, evidence_id: int | None = None) -> list[Scan]:
        self.get_case(case_id)
        query = sa.select(SCANS).where(SCANS.c.case_id == case_id)
        if evidence_id is not None:
            query = query.where(SCANS.c.evidence_id == evidence_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(SCANS.c.id)).all()
        return [_scan(r) for r in rows]

    def latest_scans(self, case_id: int) -> list[Scan]:
        """The newest scan of each evidence item of the case."""
        latest: dict[int, Scan] = {}
        for scan in self.scans(case_id):
            latest[scan.evidence_id] = scan
        return [latest[k] for k in sorted(latest)]

    def set_scan_status(
        self,
        scan: Scan,
        status: str,
        operator: str,
        *,
        action: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Scan:
        if status not in ("running", "finished", "interrupted"):
            raise InputError(f"unknown scan status {status!r}")
        at = now_utc()
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(SCANS)
                .where(SCANS.c.id == scan.id)
                .values(status=status, finished_at=at if status == "finished" else None)
            )
            if action:
                info: dict[str, Any] = {"scan_id": scan.id, "evidence_id": scan.evidence_id}
                info.update(details or {})
                self._append(conn, scan.case_id, action, info, operator, at)
        return self.get_scan(scan.id)

    def add_items(self, scan_id: int, items: Sequence[ScanItem]) -> None:
        """Store a batch of items and their matches in one transaction; repeats are ignored."""
        rows = [item_row(scan_id, item) for item in items]
        matches = [
            (row[1], match_row(m)) for row, i in zip(rows, items, strict=True) for m in i.matches
        ]
        self.add_rows(rows, matches)

    def add_rows(
        self,
        rows: Sequence[tuple[Any, ...]],
        matches: Sequence[tuple[str, tuple[Any, ...]]] = (),
        *,
        plain: Sequence[tuple[Any, ...]] = (),
    ) -> None:
        """Store a batch of item rows and their matches in one transaction; repeats are ignored.

        ``rows`` are tuples in ``ITEM_ROW_COLUMNS`` order (:func:`item_row` makes one);
        ``plain`` are rows in ``PLAIN_ROW_COLUMNS`` order whose other columns are the plain
        defaults (status ok, depth 0, nothing else); ``matches`` are (path_key of the item,
        tuple in ``MATCH_ROW_COLUMNS`` order). The rows go to the driver's executemany as
        they are: a scan writes one row per file, and SQLAlchemy's per-row parameter
        processing cost more than SQLite's insert.
        """
        if not rows and not plain:
            return
        with self.engine.begin() as conn:
            if plain:
                sql = _insert_sql(conn, "scan_items", PLAIN_ROW_COLUMNS, _PLAIN_DEFAULTS)
                conn.exec_driver_sql(sql, plain)
            if rows:
                conn.exec_driver_sql(_insert_sql(conn, "scan_items", ITEM_ROW_COLUMNS), rows)
            if not matches:
                return
            scan_ids = {row[0] for part in (rows, plain) for row in part}
            keys = sorted({key for key, _ in matches})
            ids: dict[str, int] = {}
            for start in range(0, len(keys), _IN_CHUNK):
                for row in conn.execute(
                    sa.select(SCAN_ITEMS.c.id, SCAN_ITEMS.c.path_key).where(
                        SCAN_ITEMS.c.scan_id.in_(scan_ids),
                        SCAN_ITEMS.c.path_key.in_(keys[start : start + _IN_CHUNK]),
                    )
                ):
                    ids[row.path_key] = row.id
            conn.exec_driver_sql(
                _insert_sql(conn, "scan_matches", ("item_id", *MATCH_ROW_COLUMNS)),
                [(ids[key], *match) for key, match in matches],
            )

    def stored_top_level(self, scan_id: int) -> dict[str, str]:
        """Top-level (depth 0) paths already stored for a scan, with their detected kind."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(SCAN_ITEMS.c.path, SCAN_ITEMS.c.kind).where(
                    SCAN_ITEMS.c.scan_id == scan_id, SCAN_ITEMS.c.depth == 0
                )
            ).all()
        return {r.path: r.kind for r in rows}

    def items(
        self,
        scan_ids: Sequence[int],
        *,
        matched_only: bool = False,
        category: str | None = None,
    ) -> Iterator[ScanItem]:
        """Stored items of the given scans in (scan, path) order, each with its matches."""
        if not scan_ids:
            return
        items_t = SCAN_ITEMS
        matches_t = SCAN_MATCHES
        query = sa.select(items_t).where(items_t.c.scan_id.in_(list(scan_ids)))
        if matched_only or category:
            sub = sa.select(matches_t.c.item_id)
            if category:
                sub = sub.where(matches_t.c.category == category)
            query = query.where(items_t.c.id.in_(sub))
        query = query.order_by(items_t.c.scan_id, items_t.c.path)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            matches: dict[int, list[ScanMatch]] = {}
            match_query = (
                sa.select(matches_t)
                .join(items_t, items_t.c.id == matches_t.c.item_id)
                .where(items_t.c.scan_id.in_(list(scan_ids)))
                .order_by(
                    matches_t.c.item_id,
                    matches_t.c.set_name,
                    matches_t.c.algorithm,
                    matches_t.c.value,
                )
            )
            for m in conn.execute(match_query):
                matches.setdefault(m.item_id, []).append(
                    ScanMatch(
                        algorithm=m.algorithm,
                        value=m.value,
                        set_name=m.set_name,
                        set_version=m.set_version,
                        category=m.category,
                        source_category=m.source_category,
                        distance=m.distance,
                        quality=m.quality,
                        variant=m.variant,
                        detail=m.detail,
                    )
                )
        for row in rows:
            yield ScanItem(
                scan_id=row.scan_id,
                **{c: getattr(row, c) for c in _ITEM_COLUMNS},
                matches=tuple(matches.get(row.id, ())),
            )

    def count_items(self, scan_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(SCAN_ITEMS.c.scan_id == scan_id)
                ).scalar_one()
            )


def conflict_if_running(scan: Scan) -> None:
    if scan.status == "running":
        raise Conflict(
            f"scan {scan.id} of evidence {scan.evidence_id} is unfinished: "
            "continue it with --resume"
        )


def scan_counts(engine: Engine, scan_id: int) -> dict[str, int]:
    """Counts of a scan's stored items: total, per status, matched items, top-level bytes."""
    items, matches = SCAN_ITEMS, SCAN_MATCHES
    top = items.c.depth == 0
    by_status: dict[str, int] = {}
    files = size = 0
    with engine.connect() as conn:
        # One pass over the scan's items for every count but the matched ones.
        for status, n, top_files, top_bytes in conn.execute(
            sa.select(
                items.c.status,
                sa.func.count(),
                sa.func.count().filter(top),
                sa.func.coalesce(sa.func.sum(items.c.size).filter(top), 0),
            )
            .where(items.c.scan_id == scan_id)
            .group_by(items.c.status)
        ):
            by_status[str(status)] = int(n)
            files += int(top_files)
            size += int(top_bytes)
        matched = conn.execute(
            sa.select(sa.func.count(sa.distinct(matches.c.item_id)))
            .select_from(matches.join(items, items.c.id == matches.c.item_id))
            .where(items.c.scan_id == scan_id)
        ).scalar_one()
    counts = {f"status_{k}": v for k, v in by_status.items()}
    counts["items"] = sum(by_status.values())
    counts["matched"] = int(matched)
    counts["files"] = int(files)
    counts["bytes"] = int(size)
    return counts
