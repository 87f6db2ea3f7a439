"""Provenance of an import: which file (by SHA-256), which format, who, when, what came of it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class ImportRecord:
    set_name: str
    source_file: str
    source_sha256: str
    source_size: int
    format: str
    operator: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    entries_added: int
    duplicates: int
    rejected: int
    status: str  # "complete" | "failed" | "interrupted" | "running"
    detail: str = ""


def file_sha256(path: Path, chunk: int = 1 << 20) -> tuple[str, int]:
    """SHA-256 and size of an input file (to record exactly what was imported)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
