from __future__ import annotations

from pathlib import Path

import pytest

from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog

TEST_PACKS = Path(__file__).parent / "packs"


@pytest.fixture(scope="session")
def test_catalog() -> Catalog:
    """The fixed test pack (AR, BR, MX) over the bundled criteria, instruments, measures."""
    return load_catalog([TEST_PACKS])
