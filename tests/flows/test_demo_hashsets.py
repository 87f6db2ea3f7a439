from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from puente.flows.demo_hashsets import DEMO_REIMPORTED, DEMO_SET, run_demo


def test_demo_round_trip_is_identical_and_rerunnable(sqlite_engine: Engine, tmp_path: Path) -> None:
    steps: list[str] = []
    for _ in range(2):
        result = run_demo(sqlite_engine, tmp_path / "demo", count=4, on_step=steps.append)
    assert result.images == 4 and result.exported == 12 and result.reimported == 12
    d = result.diff
    assert (d.only_a, d.only_b, d.both, d.category_changed) == (0, 0, 12, 0)
    assert {s["name"] for s in result.stats} == {DEMO_SET, DEMO_REIMPORTED}
    assert any("benign images" in s for s in steps)
