from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from puente.capacity.examples import example_assessment
from puente.errors import Conflict, NotFound
from puente.store.capacity import CapacityStore


def test_add_and_read_back(engine: Engine) -> None:
    store = CapacityStore(engine)
    a = example_assessment("AR", "police", 0)
    stored = store.add(a, operator="op")
    assert stored.imported_by == "op"
    back = store.stored("AR")
    assert len(back) == 1
    assert back[0].assessment == a
    assert store.get(stored.id).assessment == a
    with pytest.raises(NotFound):
        store.get(stored.id + 100)


def test_duplicate_is_a_conflict_unless_replaced(engine: Engine) -> None:
    store = CapacityStore(engine)
    a = example_assessment("CL", "prosecution", 1)
    store.add(a, operator="op")
    with pytest.raises(Conflict, match="already stored"):
        store.add(a, operator="op")
    changed = replace(a, respondent="someone else")
    store.add(changed, operator="op", replace=True)
    assert [s.assessment.respondent for s in store.stored()] == ["someone else"]
    with engine.connect() as conn:
        n = conn.execute(sa.text("select count(*) from capacity_answers")).scalar()
    assert n == len(a.answers)


def test_filters_order_and_fictitious_cleanup(engine: Engine) -> None:
    store = CapacityStore(engine)
    for r in (1, 0):
        store.add(example_assessment("MX", "police", r), operator="op")
    store.add(example_assessment("MX", "prosecution", 0), operator="op")
    real = replace(
        example_assessment("UY", "police", 0), fictitious=False, assessed_on=date(2026, 2, 1)
    )
    store.add(real, operator="op")
    dates = [s.assessment.assessed_on for s in store.stored("MX", "police")]
    assert dates == sorted(dates) and len(dates) == 2
    assert store.count() == 4
    assert store.delete_fictitious() == 3
    assert [s.assessment.country for s in store.stored()] == ["UY"]
