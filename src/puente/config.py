"""Settings, read from the environment (prefix ``PUENTE_``) and documented field by field.

Every field is listed in docs/configuration.md; tests/test_config.py keeps the two in step.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("puente", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUENTE_", extra="ignore", frozen=True)

    home: Path = Field(
        default_factory=_default_home,
        description="Data directory: database, reports and exports. "
        "Default: the per-user data directory (platformdirs).",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database. Empty: SQLite file puente.db in the home "
        "directory. PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    operator: str = Field(
        default_factory=_login_name,
        description="Name of the person operating Puente, recorded in the custody log.",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Worker processes for scans (default: all cores).",
    )
    batch_size: int = Field(
        default=5000,
        ge=1,
        description="Rows written to the store per transaction in imports and scans.",
    )
    # Archive limits: defaults follow ClamAV's (MaxScanSize 400M, MaxFileSize 100M,
    # MaxRecursion 17, MaxFiles 10000) with a compression-ratio guard against bombs.
    archive_max_depth: int = Field(default=17, ge=0, description="Deepest archive nesting read.")
    archive_max_members: int = Field(
        default=10_000, ge=1, description="Most members read from one archive."
    )
    archive_max_member_size: int = Field(
        default=100 * 1024**2, ge=1, description="Largest decompressed member size in bytes."
    )
    archive_max_total_size: int = Field(
        default=400 * 1024**2, ge=1, description="Most decompressed bytes read from one archive."
    )
    archive_max_ratio: float = Field(
        default=100.0, gt=1, description="Largest decompressed/compressed ratio of a member."
    )
    max_image_pixels: int = Field(
        default=178_956_970,
        ge=1,
        description="Images with more pixels are not decoded (decompression-bomb guard).",
    )
    pdq_min_quality: int = Field(
        default=50,
        ge=0,
        le=100,
        description="PDQ hashes below this quality are recorded, not matched.",
    )
    pdq_threshold: int = Field(
        default=31, ge=0, le=256, description="Default Hamming distance for a PDQ match."
    )
    pdq_views: bool = Field(
        default=True,
        description=(
            "Also query PDQ views of scanned images (each edge band cut, a small rotation "
            "turned back): finds overlaid and slightly rotated copies; ~3x the PDQ work."
        ),
    )
    vpdq_frame_threshold: int = Field(
        default=31, ge=0, le=256, description="Hamming distance for two vPDQ frames to match."
    )
    vpdq_match_percent: float = Field(
        default=80.0,
        ge=0,
        le=100,
        description="Percentage of unique frames that must match, for query and candidate (vPDQ).",
    )
    lang: str = Field(default="es", description="Default language of documents: es, pt or en.")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'puente.db'}"

    def digest(self) -> str:
        """SHA-256 of the settings that change results, recorded in every report.

        Where data lives, who runs it, how many workers, the batch size and the document
        language change no result, so they stay out: a scan resumes under any of them.
        """
        data = self.model_dump(
            mode="json",
            exclude={"home", "database_url", "operator", "workers", "batch_size", "lang"},
        )
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
