"""The network Puente serves: its jurisdictions and the languages of its documents.

Outside the layers (like errors.py and config.py) so that every area shares one list.
"""

from __future__ import annotations

# Display order: the twelve Latin American countries, then Spain (ISO 3166-1 alpha-2).
COUNTRIES: tuple[str, ...] = (
    "AR", "BO", "BR", "CL", "CR", "EC", "SV", "GT", "HN", "MX", "PY", "UY", "ES",
)  # fmt: skip

LANGS: tuple[str, ...] = ("es", "pt", "en")
