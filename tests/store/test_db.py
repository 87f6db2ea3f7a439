from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from puente.config import Settings
from puente.store.db import is_current, open_engine


def test_schema_is_current_after_upgrade(engine: Engine) -> None:
    assert is_current(engine)


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_embedded_database_is_created_in_home(settings: Settings, puente_home: Path) -> None:
    engine = open_engine(settings)
    assert is_current(engine)
    assert (puente_home / "puente.db").exists()
