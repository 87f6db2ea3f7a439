"""Acceptance: every MD5/SHA-1/SHA-256 equals what hashdeep computes for a generated tree."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from puente.ingest.model import OK, Limits, encode_path
from puente.ingest.scanner import scan

HASHDEEP = shutil.which("hashdeep")


def _generate(root: Path, seed: int = 7) -> int:
    rng = random.Random(seed)
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20]
    sizes += [rng.randrange(0, 200_000) for _ in range(150)]
    for index, size in enumerate(sizes):
        folder = root / f"d{index % 7}" / f"e{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:04}.bin").write_bytes(rng.randbytes(size))
    # Names hashdeep and we must agree on: spaces, commas, non-UTF-8 bytes.
    (root / "with space, comma.txt").write_bytes(b"comma")
    with open(os.path.join(os.fsencode(root), b"latin-\xe9.txt"), "wb") as fh:
        fh.write(b"latin")
    return len(sizes) + 2


@pytest.mark.skipif(HASHDEEP is None, reason="hashdeep not installed (apt-get install hashdeep)")
@pytest.mark.parametrize("workers", [1, 2])
def test_digests_equal_hashdeep(tmp_path: Path, workers: int) -> None:
    count = _generate(tmp_path)
    assert HASHDEEP is not None
    out = subprocess.run(
        [HASHDEEP, "-r", "-l", "-c", "md5,sha1,sha256", "."],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    expected: dict[bytes, tuple[int, str, str, str]] = {}
    for line in out.splitlines():
        if line.startswith((b"%%%%", b"##")) or not line:
            continue
        size, md5, sha1, sha256, name = line.split(b",", 4)
        assert name.startswith(b"./")
        expected[name[2:]] = (int(size), md5.decode(), sha1.decode(), sha256.decode())
    assert len(expected) == count
    items = [i for i in scan(tmp_path, Limits(), workers=workers)]
    ours = {
        encode_path(i.path): (i.size, i.digests.md5, i.digests.sha1, i.digests.sha256)
        for i in items
        if i.digests is not None
    }
    assert all(i.status == OK for i in items)
    assert ours == expected
