from __future__ import annotations

from pathlib import Path

import pytest

from puente.legal.catalog import load_catalog
from puente.legal.schema import Catalog

TEST_PACKS = Path(__file__).parents[1] / "legal" / "packs"


@pytest.fixture(scope="session")
def test_catalog() -> Catalog:
    return load_catalog([TEST_PACKS])
