"""Every table module, imported so that METADATA knows the whole schema."""

from __future__ import annotations

from puente.store import capacity, cases, hashsets, requests
from puente.store.base import METADATA

__all__ = ["METADATA", "capacity", "cases", "hashsets", "requests"]
