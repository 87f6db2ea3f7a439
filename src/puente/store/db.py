"""Engine construction and schema migration.

SQLite (embedded default) runs with WAL and foreign keys on; PostgreSQL through psycopg 3.
The embedded database is migrated on open; a shared PostgreSQL server is migrated only by
``puente db upgrade`` so that one agency's client never changes a shared schema by surprise.
"""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from puente.config import Settings
from puente.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The rows alembic_version holds once every branch is at its head. Every command checks the
# schema; comparing these rows costs one query, where alembic parses every migration script
# (~0.2 s of each command's start-up). A test keeps this equal to the scripts' heads.
HEADS = frozenset({"capacity_0001", "cooperation_0001", "hashsets_0003", "triage_0003"})


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed custody entry or scan batch survives a power cut, not only a crash.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


# Every engine still referenced, for dispose_engines().
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _ENGINES.add(engine)
    return engine


def dispose_engines() -> None:
    """Close the pooled connections of every engine, as interpreter teardown would (SQLite
    checkpoints and removes its write-ahead log when its last connection closes)."""
    for engine in list(_ENGINES):
        engine.dispose()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> list[str]:
    """Bring the schema to the newest revision of every branch; returns the heads applied."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    try:
        command.upgrade(cfg, "heads")
    except OperationalError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc.orig}") from exc
    return sorted(ScriptDirectory.from_config(cfg).get_heads())


def _version_rows(engine: Engine) -> frozenset[str] | None:
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:  # no such table yet (a new database), or it cannot be read
        return None
    return frozenset(str(r[0]) for r in rows)


def is_current(engine: Engine) -> bool:
    if _version_rows(engine) == HEADS:
        return True
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    # A branch head that another branch depends on (triage_0001 under cooperation_0001) is
    # not written to alembic_version once the dependent is applied: count what is reachable.
    applied = (
        {
            r.revision
            for r in script.revision_map.iterate_revisions(tuple(current), "base", inclusive=True)
            if r is not None
        }
        if current
        else set()
    )
    return set(script.get_heads()) <= applied


def open_engine(settings: Settings, *, migrate: bool | None = None) -> Engine:
    """An engine with an up-to-date schema, or a StoreError saying what to do."""
    url = settings.effective_database_url
    engine = make_engine(url)
    embedded = url.startswith("sqlite")
    try:
        current = is_current(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
    if not current:
        if migrate if migrate is not None else embedded:
            upgrade(engine)
        else:
            raise StoreError(
                f"database {engine.url!r} schema is not current: run 'puente db upgrade'"
            )
    return engine
