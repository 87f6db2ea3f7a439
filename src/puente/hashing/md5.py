"""MD5: 32 hex digits, stored lowercase."""

from __future__ import annotations

from puente.hashing.base import HexDigest

MD5 = HexDigest("md5", 32)
