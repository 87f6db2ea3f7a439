"""Perceptual hashing inside the scan: images (plain and in archives), videos, failures,
an isolated decoder that may crash or hang, and pool workers that die with the scan."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from puente.errors import DecoderCrashed
from puente.hashing.pdq import hash_image
from puente.ingest.model import Item, Limits
from puente.ingest.perceptual import Perceiver, PerceptualPolicy
from puente.ingest.scanner import scan


def _png(seed: int, size: int = 200) -> bytes:
    img = Image.new("RGB", (size, size), (seed * 40 % 256, 90, 160))
    draw = ImageDraw.Draw(img)
    draw.ellipse((20, 30, 20 + seed * 10 + 60, 150), fill=(250, 200, 10))
    draw.rectangle((100, 10, 180, 90 + seed * 5), fill=(10, 40, 200))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_images_plain_and_in_archives_get_pdq_of_their_bytes(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "a.png").write_bytes(_png(1))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x/b.png", _png(2))
        zf.writestr("x/n.txt", "not an image")
    (root / "z.zip").write_bytes(buf.getvalue())
    for workers in (1, 2):
        items = {
            i.path: i for i in scan(root, Limits(), workers=workers, perceptual=PerceptualPolicy())
        }
        a, b = items["a.png"], items["z.zip!/x/b.png"]
        assert a.pdq is not None and a.pdq.hash_hex == hash_image(_png(1)).hash_hex
        assert b.pdq is not None and b.pdq.hash_hex == hash_image(_png(2)).hash_hex
        assert len(a.pdq.dihedral) == 8 and a.pdq.decode_mode == "full"
        assert items["z.zip!/x/n.txt"].pdq is None and items["z.zip"].pdq is None
        assert all(i.status == "ok" for i in items.values())
    # Without a policy nothing is decoded (the ingest-only scan stays as fast as before).
    assert all(i.pdq is None for i in scan(root, Limits()))


def test_pixel_limit_and_timeout_are_limit_hits_and_the_scan_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    for k in range(3):
        (root / f"{k}.png").write_bytes(_png(k))
    items = list(scan(root, Limits(), perceptual=PerceptualPolicy(max_pixels=1000)))
    assert [i.status for i in items] == ["limit_exceeded"] * 3
    assert all(i.detail and "max_image_pixels" in i.detail and i.digests for i in items)
    # A decoder that does not answer in time is killed; the file is a limit hit, the
    # next file gets a fresh decoder.
    slow = PerceptualPolicy(timeout=0.0001)
    items = list(scan(root, Limits(), perceptual=slow))
    assert len(items) == 3
    assert all(i.digests is not None for i in items)
    assert any(i.status == "limit_exceeded" and "decode_timeout" in (i.detail or "") for i in items)


def test_a_crashing_decoder_is_restarted_and_the_file_reported() -> None:
    perceiver = Perceiver(PerceptualPolicy())
    try:
        worker = perceiver._worker()
        with pytest.raises(DecoderCrashed, match=r"bad\.jpg: decoder .* \(signal 11\)"):
            worker.run("crash", b"", where="bad.jpg")
        assert worker.restarts == 1
        item = Item("ok.png", 1, None, None, None, "image/png", None, "ok", None, 0, None)
        done = perceiver.image(item, _png(3))
        assert done.pdq is not None and done.status == "ok"
    finally:
        perceiver.close()


_CHILD = """
import os, sys, time, multiprocessing
from pathlib import Path
from puente.ingest.model import Limits
from puente.ingest.scanner import scan
it = scan(Path(sys.argv[1]), Limits(), workers=2)
next(it)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            state = next(line for line in f if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return " Z " not in state and "zombie" not in state


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_pool_workers_exit_when_the_scan_is_killed(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    for k in range(200):
        (root / f"f{k:03d}.bin").write_bytes(os.urandom(4096))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(root)], stdout=subprocess.PIPE, text=True
    )
    pids: list[int] = []
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in pids), "pool workers outlived the killed scan"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in pids:  # a failing run must not leave its orphans behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_every_image_format_is_detected_by_content_and_hashed(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    img = Image.open(io.BytesIO(_png(4)))
    formats = {"JPEG": "a", "PNG": "b", "GIF": "c", "BMP": "d", "TIFF": "e", "WEBP": "f"}
    formats["HEIF"] = "g"
    for fmt, name in formats.items():
        buf = io.BytesIO()
        img.convert("RGB").save(buf, fmt)
        (root / f"{name}.data").write_bytes(buf.getvalue())  # no telling extension
    items = {i.path: i for i in scan(root, Limits(), perceptual=PerceptualPolicy())}
    assert len(items) == len(formats)
    for name in formats.values():
        item = items[f"{name}.data"]
        assert item.kind.startswith("image/"), item.kind
        assert item.status == "ok" and item.pdq is not None, (item.kind, item.detail)
        assert item.pdq.quality > 0
