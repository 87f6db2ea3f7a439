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


def test_heads_constant_matches_the_migration_scripts(engine: Engine) -> None:
    """is_current's one-query check relies on HEADS: it must name every branch's head."""
    from alembic.script import ScriptDirectory

    from puente.store.db import HEADS, _version_rows, alembic_config

    assert set(ScriptDirectory.from_config(alembic_config(engine)).get_heads()) == HEADS
    assert _version_rows(engine) == HEADS  # what a fully upgraded database holds


def test_is_current_on_a_new_and_an_old_database(tmp_path: Path) -> None:
    from alembic import command

    from puente.store.db import alembic_config, is_current, make_engine, upgrade

    fresh = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert not is_current(fresh)
    upgrade(fresh)
    assert is_current(fresh)
    command.downgrade(alembic_config(fresh), "hashsets_0002")
    assert not is_current(fresh)
