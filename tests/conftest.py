"""Shared fixtures: an isolated PUENTE_HOME per test, and engines for SQLite and PostgreSQL.

PostgreSQL tests run when PUENTE_TEST_POSTGRES_URL is set (CI starts a throw-away server)
and skip with that reason otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from puente.config import Settings
from puente.store.db import make_engine, upgrade

SHARED = Path(__file__).resolve().parents[2] / "shared"
# Test-harness variables survive the per-test clean environment.
KEEP_ENV = ("PUENTE_TEST_POSTGRES_URL", "PUENTE_SHARED_DATA", "PUENTE_UPDATE_GOLDEN")
SHARED_DATA = Path(os.environ.get("PUENTE_SHARED_DATA", SHARED / "data"))


def pytest_report_header() -> str:
    import sqlite3

    pg = "set" if os.environ.get("PUENTE_TEST_POSTGRES_URL") else "not set (postgres tests skip)"
    return f"sqlite {sqlite3.sqlite_version}; PUENTE_TEST_POSTGRES_URL {pg}"


@pytest.fixture(autouse=True)
def puente_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "puente-home"
    for key in list(os.environ):
        if key.startswith("PUENTE_") and key not in KEEP_ENV:
            monkeypatch.delenv(key)
    monkeypatch.setenv("PUENTE_HOME", str(home))
    monkeypatch.setenv("PUENTE_OPERATOR", "test-operator")
    # CLI modules cache settings and engine per process; clear them between tests.
    from puente.cli import common

    common.settings.cache_clear()
    common.engine.cache_clear()
    return home


@pytest.fixture
def settings(puente_home: Path) -> Settings:
    return Settings()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    url = os.environ.get("PUENTE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PUENTE_TEST_POSTGRES_URL not set: no PostgreSQL server to test against")
    # A fresh schema per test keeps tests independent on one shared server.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The store contract fixture: every test using it runs on SQLite and PostgreSQL."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    result: Engine = request.getfixturevalue(fixture)
    return result
