"""The scan flow: evidence -> ingest -> exact matching -> store, and resuming it."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from puente.cases.model import ScanItem
from puente.config import Settings
from puente.errors import Conflict, EvidenceError, StoreError
from puente.flows import triage
from puente.ingest.scanner import plan
from puente.ingest.scanner import scan as real_scan
from puente.match.exact import ExactIndex, Membership
from puente.store.cases import CaseStore


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_tree(root: Path, n: int = 12) -> dict[str, bytes]:
    """A small benign tree; returns the bytes of the files that a test hash set lists."""
    root.mkdir(parents=True)
    (root / "docs").mkdir()
    listed: dict[str, bytes] = {}
    for i in range(n):
        data = f"benign document {i}\n".encode() * (i + 1)
        (root / "docs" / f"doc{i:02d}.txt").write_bytes(data)
        if i % 4 == 0:
            listed[f"docs/doc{i:02d}.txt"] = data
    inner = _zip({"deep/x.txt": b"inner member", "y.bin": bytes(range(256))})
    (root / "outer.zip").write_bytes(_zip({"a.txt": b"listed member", "inner.zip": inner}))
    listed["outer.zip!/a.txt"] = b"listed member"
    (root / "broken.zip").write_bytes(_zip({"z.txt": b"z" * 1000})[:-30])
    (root / "empty.dat").write_bytes(b"")
    (root / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name")
    os.mkfifo(root / "a-fifo")  # never opened: a read would block forever
    os.symlink("loop", root / "loop")
    return listed


def index_for(listed: dict[str, bytes]) -> ExactIndex:
    rows = []
    for i, data in enumerate(listed.values()):
        m = Membership("demo-set", "2026.1", "csam" if i % 2 == 0 else "other", str(i % 3))
        rows.append(("md5", hashlib.md5(data).hexdigest(), m))
    return ExactIndex(rows)


@pytest.fixture
def small_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"batch_size": 4, "workers": 1})


def _setup(engine: Engine, root: Path) -> tuple[int, int]:
    case = triage.create_case(engine, "scan test", "CL", "PDI", "ana")
    ev = triage.add_evidence(engine, case.id, root, "folder", "ana")
    return case.id, ev.id


def _records(items: list[ScanItem]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            i.path,
            i.size,
            i.kind,
            i.md5,
            i.sha1,
            i.sha256,
            i.status,
            i.detail,
            i.depth,
            i.container,
            i.mtime,
            i.matches,
        )
        for i in items
    )


def test_scan_hashes_matches_and_records_errors(
    engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "evidence"
    listed = make_tree(root)
    case_id, ev_id = _setup(engine, root)
    summary = triage.scan_evidence(
        engine, small_settings, case_id, ev_id, "ana", index=index_for(listed)
    )
    assert summary.scan.status == "finished"
    _, items = triage.results(engine, case_id)
    by_path = {i.path: i for i in items}
    for path, data in listed.items():
        item = by_path[path]
        assert item.md5 == hashlib.md5(data).hexdigest()
        assert item.sha256 == hashlib.sha256(data).hexdigest()
        assert item.matched and item.matches[0].set_name == "demo-set"
    assert "outer.zip!/inner.zip!/deep/x.txt" in by_path
    assert by_path["a-fifo"].status == "skipped_special"
    assert by_path["loop"].status == "error" and "loop" in (by_path["loop"].detail or "")
    assert by_path["outer.zip!/inner.zip!/deep/x.txt"].depth == 2
    assert r"caf\xe9.txt" in by_path
    assert by_path["broken.zip"].status == "error" or any(
        p.startswith("broken.zip") and i.status == "error" for p, i in by_path.items()
    )
    matched = triage.results(engine, case_id, matched_only=True)[1]
    assert {i.path for i in matched} == set(listed)
    csam = triage.results(engine, case_id, category="csam")[1]
    assert 0 < len(csam) < len(matched)
    assert summary.counts["matched"] == len(listed)
    assert summary.counts["files"] == 12 + 6  # incl. the FIFO and the link
    log = CaseStore(engine).custody(case_id)
    assert [e.action for e in log][-2:] == ["scan_started", "scan_finished"]
    assert log[-1].details["matched"] == len(listed)


class Killed(Exception):
    pass


def _interrupting(after: int) -> Any:
    def scanner(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, item in enumerate(real_scan(*args, **kwargs)):
            if n == after:
                raise Killed(f"stopped after {after} items")
            yield item

    return scanner


@pytest.mark.parametrize("after", [0, 3, 9, 14, 17])
def test_interrupted_scan_resumes_to_the_same_records(
    engine: Engine, small_settings: Settings, tmp_path: Path, after: int
) -> None:
    root = tmp_path / "evidence"
    index = index_for(make_tree(root))
    case_a, ev_a = _setup(engine, root)
    triage.scan_evidence(engine, small_settings, case_a, ev_a, "ana", index=index)
    expected = _records(triage.results(engine, case_a)[1])

    case_b, ev_b = _setup(engine, root)
    with pytest.raises(Killed):
        triage.scan_evidence(
            engine,
            small_settings,
            case_b,
            ev_b,
            "ana",
            index=index,
            scanner=_interrupting(after),
        )
    store = CaseStore(engine)
    assert store.scans(case_b)[0].status == "interrupted"
    with pytest.raises(Conflict, match="no unfinished scan"):
        triage.scan_evidence(engine, small_settings, case_a, ev_a, "ana", resume=True)
    summary = triage.scan_evidence(
        engine, small_settings, case_b, ev_b, "ana", index=index, resume=True
    )
    assert summary.resumed and summary.scan.status == "finished"
    assert _records(triage.results(engine, case_b)[1]) == expected
    actions = [e.action for e in store.custody(case_b)]
    assert actions[-4:] == ["scan_started", "scan_interrupted", "scan_resumed", "scan_finished"]


class Recording(triage.ScanObserver):
    def __init__(self) -> None:
        self.totals: tuple[int, int] | None = None
        self.items: list[ScanItem] = []

    def started(self, scan: Any, total_files: int, total_bytes: int, resumed: bool) -> None:
        self.totals = (total_files, total_bytes)

    def stored(self, item: ScanItem) -> None:
        self.items.append(item)


def test_an_observer_sees_totals_and_every_item_and_changes_no_record(
    sqlite_engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    # Without an observer the scan skips the pre-walk and builds no ScanItem per file;
    # what it stores must be the same.
    root = tmp_path / "evidence"
    index = index_for(make_tree(root))
    case_a, ev_a = _setup(sqlite_engine, root)
    triage.scan_evidence(sqlite_engine, small_settings, case_a, ev_a, "ana", index=index)
    case_b, ev_b = _setup(sqlite_engine, root)
    seen = Recording()
    summary = triage.scan_evidence(
        sqlite_engine, small_settings, case_b, ev_b, "ana", index=index, observer=seen
    )
    quiet = _records(triage.results(sqlite_engine, case_a)[1])
    assert _records(triage.results(sqlite_engine, case_b)[1]) == quiet
    assert _records(seen.items) == quiet
    assert seen.totals == plan(root)
    assert len(seen.items) == summary.counts["items"]


def test_a_failed_batch_write_interrupts_the_scan_and_resume_completes_it(
    sqlite_engine: Engine,
    small_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches are written by a background thread: its error must stop the scan like an
    # error in the scan itself (interrupted, resumable), not vanish with the thread.
    root = tmp_path / "evidence"
    index = index_for(make_tree(root))
    case_a, ev_a = _setup(sqlite_engine, root)
    triage.scan_evidence(sqlite_engine, small_settings, case_a, ev_a, "ana", index=index)
    expected = _records(triage.results(sqlite_engine, case_a)[1])

    real_add_rows = CaseStore.add_rows
    calls = 0

    def failing_once(self: CaseStore, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreError("disk full (simulated)")
        real_add_rows(self, *args, **kwargs)

    monkeypatch.setattr(CaseStore, "add_rows", failing_once)
    case_b, ev_b = _setup(sqlite_engine, root)
    with pytest.raises(StoreError, match="disk full"):
        triage.scan_evidence(sqlite_engine, small_settings, case_b, ev_b, "ana", index=index)
    store = CaseStore(sqlite_engine)
    assert store.scans(case_b)[0].status == "interrupted"
    assert store.custody(case_b)[-1].details["reason"] == "StoreError: disk full (simulated)"
    monkeypatch.setattr(CaseStore, "add_rows", real_add_rows)
    triage.scan_evidence(
        sqlite_engine, small_settings, case_b, ev_b, "ana", index=index, resume=True
    )
    assert _records(triage.results(sqlite_engine, case_b)[1]) == expected


def test_running_scan_blocks_a_new_one_and_settings_must_match(
    sqlite_engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "evidence"
    make_tree(root, n=2)
    case_id, ev_id = _setup(sqlite_engine, root)
    store = CaseStore(sqlite_engine)
    # A scan killed with -9 stays "running".
    store.start_scan(case_id, ev_id, small_settings.digest(), (), "ana")
    with pytest.raises(Conflict, match="--resume"):
        triage.scan_evidence(
            sqlite_engine, small_settings, case_id, ev_id, "ana", index=ExactIndex([])
        )
    changed = small_settings.model_copy(update={"archive_max_depth": 3})
    with pytest.raises(Conflict, match="settings digest"):
        triage.scan_evidence(sqlite_engine, changed, case_id, ev_id, "ana", resume=True)


def test_missing_evidence_is_an_evidence_error(
    sqlite_engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "evidence"
    make_tree(root, n=1)
    case_id, ev_id = _setup(sqlite_engine, root)
    (root / "docs" / "doc00.txt").unlink()
    os.rmdir(root / "docs")
    for child in root.iterdir():
        child.unlink()
    root.rmdir()
    with pytest.raises(EvidenceError, match="does not exist"):
        triage.scan_evidence(
            sqlite_engine, small_settings, case_id, ev_id, "ana", index=ExactIndex([])
        )
    assert CaseStore(sqlite_engine).scans(case_id) == []


def test_empty_folder_scans_to_nothing(
    sqlite_engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    case_id, ev_id = _setup(sqlite_engine, root)
    summary = triage.scan_evidence(
        sqlite_engine, small_settings, case_id, ev_id, "ana", index=ExactIndex([])
    )
    assert summary.scan.status == "finished" and summary.counts["items"] == 0


def test_stored_hashes_equal_hashdeep(
    sqlite_engine: Engine, small_settings: Settings, tmp_path: Path
) -> None:
    import shutil
    import subprocess

    if shutil.which("hashdeep") is None:
        pytest.skip("hashdeep not installed (apt-get install hashdeep)")
    root = tmp_path / "evidence"
    root.mkdir()
    for i in range(25):
        (root / f"d{i % 4}").mkdir(exist_ok=True)
        (root / f"d{i % 4}" / f"f{i}.bin").write_bytes(os.urandom(i * 3001))
    (root / "outer.zip").write_bytes(_zip({"m.txt": b"member"}))
    case_id, ev_id = _setup(sqlite_engine, root)
    triage.scan_evidence(sqlite_engine, small_settings, case_id, ev_id, "ana", index=ExactIndex([]))
    run = subprocess.run(
        ["hashdeep", "-r", "-l", "-c", "md5,sha1,sha256", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = {}
    for line in run.stdout.splitlines():
        if line and not line.startswith(("%", "#")):
            size, md5, sha1, sha256, name = line.split(",", 4)
            expected[name.removeprefix("./")] = (int(size), md5, sha1, sha256)
    stored = {
        i.path: (i.size, i.md5, i.sha1, i.sha256)
        for i in triage.results(sqlite_engine, case_id)[1]
        if i.depth == 0
    }
    assert len(expected) == 26
    assert stored == expected
