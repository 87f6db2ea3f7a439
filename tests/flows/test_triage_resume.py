"""kill -9 at random points of a real `puente scan` process, then --resume: the stored
records equal those of an uninterrupted scan (none lost, none duplicated) and the custody
chain still verifies."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from puente.config import Settings
from puente.flows import hashsets as hashset_flows
from puente.flows import triage
from puente.hashing.pdq import hash_image
from puente.hashsets.model import Entry
from puente.store.cases import CaseStore
from puente.store.db import open_engine
from puente.store.hashsets import HashSetStore

from .test_triage_scan import make_tree

ITERATIONS = int(os.environ.get("PUENTE_RESUME_ITERATIONS", "3"))
COLUMNS = (
    "path, size, mtime, kind, md5, sha1, sha256, status, detail, depth, container, "
    "pdq, pdq_quality, pdq_decode_mode, pdq_dihedral, vpdq"
)


def _records(db: Path, scan_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        items = conn.execute(
            f"SELECT {COLUMNS} FROM scan_items WHERE scan_id = ? ORDER BY path", (scan_id,)
        ).fetchall()
        matches = conn.execute(
            "SELECT i.path, m.algorithm, m.value, m.set_name, m.category, m.distance, "
            "m.quality, m.variant, m.detail FROM scan_matches m "
            "JOIN scan_items i ON i.id = m.item_id WHERE i.scan_id = ? ORDER BY 1, 2, 3, 4",
            (scan_id,),
        ).fetchall()
    return [*items, *matches]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=0.05) as conn:
            return int(conn.execute("SELECT count(*) FROM scan_items").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _puente(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "puente", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(
    settings: Settings, tmp_path: Path, puente_home: Path
) -> None:
    root = tmp_path / "evidence"
    listed = make_tree(root, n=80)
    for k in range(3):  # more archives: resumes must re-read partly stored ones
        (root / f"more{k}.zip").write_bytes((root / "outer.zip").read_bytes())
    # Images (PDQ, one matched perceptually through a mirrored copy) and a corrupt one.
    from .test_triage_perceptual import encode, picture

    (root / "pics").mkdir()
    for k in range(6):
        (root / "pics" / f"p{k}.png").write_bytes(encode(picture(k, 128), "PNG"))
    (root / "pics" / "cut.png").write_bytes(encode(picture(7, 128), "PNG")[:300])
    engine = open_engine(settings)
    hashset_flows.add_files(
        engine, "resume-set", [root / p for p in listed if "!/" not in p], "csam"
    )
    mirrored = encode(picture(2, 128).transpose(Image.Transpose.FLIP_LEFT_RIGHT), "PNG")
    store = HashSetStore(engine)
    set_id = store.get_set("resume-set").id
    assert set_id is not None
    store.add_entries(set_id, [Entry("pdq", hash_image(mirrored).hash_hex, "csam")])
    baseline_case = triage.create_case(engine, "baseline", "AR", "UFECI", "ana")
    ev = triage.add_evidence(engine, baseline_case.id, root, "tree", "ana")
    once = settings.model_copy(update={"workers": 1, "batch_size": 7})
    base = triage.scan_evidence(engine, once, baseline_case.id, ev.id, "ana")
    db = puente_home / "puente.db"
    expected = _records(db, base.scan.id)
    total = base.counts["items"]
    assert any(len(r) == 9 for r in expected)  # some matches are part of the comparison
    assert any(len(r) == 9 and r[1] == "pdq" for r in expected)

    env = {**os.environ, "PUENTE_BATCH_SIZE": "7", "PUENTE_WORKERS": "1"}
    rng = random.Random(int(os.environ.get("PUENTE_RESUME_SEED", "7")))
    killed_mid_scan = 0
    for _ in range(ITERATIONS):
        case = triage.create_case(engine, "killed", "AR", "UFECI", "ana")
        evidence = triage.add_evidence(engine, case.id, root, "tree", "ana")
        before = _count(db)
        threshold = before + rng.randrange(1, total)
        proc = _puente("scan", str(case.id), str(evidence.id), "--quiet", env=env)
        deadline = time.monotonic() + 30
        while proc.poll() is None and _count(db) < threshold and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.random() * 0.02)  # land anywhere inside the next batch
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_scan += 1
        proc.wait()
        scans = CaseStore(engine).scans(case.id)
        if scans and scans[-1].status != "finished":
            resumed = _puente(
                "scan", str(case.id), str(evidence.id), "--resume", "--quiet", env=env
            )
            _, err = resumed.communicate(timeout=60)
            assert resumed.returncode == 0, err.decode()
        scans = CaseStore(engine).scans(case.id)
        assert len(scans) == 1 and scans[0].status == "finished"
        assert _records(db, scans[0].id) == expected
        report = triage.custody_report(engine, case.id)
        assert report.intact, report.problems
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert killed_mid_scan >= 1
