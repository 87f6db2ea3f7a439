"""SHA1: 40 hex digits, stored lowercase."""

from __future__ import annotations

from puente.hashing.base import HexDigest

SHA1 = HexDigest("sha1", 40)
