"""SHA256: 64 hex digits, stored lowercase."""

from __future__ import annotations

from puente.hashing.base import HexDigest

SHA256 = HexDigest("sha256", 64)
