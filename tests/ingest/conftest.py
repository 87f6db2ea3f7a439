from __future__ import annotations

import pytest

from puente.ingest.model import Limits


@pytest.fixture
def limits() -> Limits:
    return Limits()
