"""Tables and store of this area (filled in by its issue)."""

from __future__ import annotations
