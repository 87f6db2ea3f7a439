"""Every table module, imported so that Base.metadata knows the whole schema."""

from __future__ import annotations

from puente.store import capacity, cases, hashsets, requests
from puente.store.base import Base

__all__ = ["Base", "capacity", "cases", "hashsets", "requests"]
