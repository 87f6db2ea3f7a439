from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from puente.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_described_and_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"`PUENTE_{name.upper()}`" in doc, f"PUENTE_{name.upper()} missing from {DOC.name}"


def test_home_and_database_follow_puente_home(puente_home: Path) -> None:
    s = Settings()
    assert s.home == puente_home
    assert s.effective_database_url == f"sqlite:///{puente_home / 'puente.db'}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUENTE_WORKERS", "3")
    monkeypatch.setenv("PUENTE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    s = Settings()
    assert s.workers == 3
    assert s.effective_database_url == "postgresql+psycopg://u@h/db"


def test_bad_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUENTE_WORKERS", "0")
    with pytest.raises(ValidationError, match="workers"):
        Settings()


def test_digest_ignores_location_and_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    before = Settings().digest()
    monkeypatch.setenv("PUENTE_OPERATOR", "someone-else")
    assert Settings().digest() == before
    monkeypatch.setenv("PUENTE_PDQ_THRESHOLD", "20")
    assert Settings().digest() != before
