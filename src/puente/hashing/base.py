"""The one small protocol every hash algorithm implements, and the two common shapes.

An algorithm's ``name`` is its storage key (declared once, in its module). ``normalise``
turns a value as found in a file into the stored form, or raises InvalidHash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from puente.errors import InvalidHash


@runtime_checkable
class HashAlgorithm(Protocol):
    @property
    def name(self) -> str: ...

    def normalise(self, value: str) -> str: ...


def _show(value: str, limit: int = 40) -> str:
    """A bad value, shortened so that a 1 MB line does not flood the report."""
    text = value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"
    return repr(text)


@dataclass(frozen=True)
class HexDigest:
    """A fixed-length hexadecimal digest, stored as lowercase hex."""

    name: str
    hex_length: int
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", re.compile(f"[0-9a-f]{{{self.hex_length}}}"))

    def normalise(self, value: str) -> str:
        text = value.strip().lower()
        if self._pattern.fullmatch(text):
            return text
        if len(text) != self.hex_length:
            raise InvalidHash(
                f"{self.name} must be {self.hex_length} hex digits, got {len(text)}: {_show(text)}"
            )
        raise InvalidHash(f"{self.name} value is not hexadecimal: {_show(text)}")

    def digest_size(self) -> int:
        return self.hex_length // 2


@dataclass(frozen=True)
class OpaqueHash:
    """A value kept exactly as given (e.g. PhotoDNA, whose encoding varies by exporter)."""

    name: str
    max_length: int = 4096

    def normalise(self, value: str) -> str:
        text = value.strip()
        if not text:
            raise InvalidHash(f"{self.name} value is empty")
        if len(text) > self.max_length:
            raise InvalidHash(
                f"{self.name} value too long ({len(text)} > {self.max_length} characters)"
            )
        if any(c.isspace() or not c.isprintable() for c in text):
            raise InvalidHash(f"{self.name} value contains whitespace or control characters")
        return text
