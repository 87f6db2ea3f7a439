"""Damaged archives never stop a scan: every mutant yields well-formed items."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile
from pathlib import Path

import py7zr

from puente.ingest.model import ERROR, OK, STATUSES, Limits
from puente.ingest.scanner import scan


def _seeds() -> dict[str, bytes]:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"alpha " * 300)
        zf.writestr("d/b.bin", bytes(range(256)) * 8)
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tf:
        for name, data in (("x.txt", b"x" * 3000), ("inner.zip", zbuf.getvalue())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    sbuf = io.BytesIO()
    with py7zr.SevenZipFile(sbuf, "w") as archive:
        archive.writestr(b"seven " * 200, "s.txt")
    return {
        "seed.zip": zbuf.getvalue(),
        "seed.tar.gz": tbuf.getvalue(),
        "seed.7z": sbuf.getvalue(),
        "seed.gz": gzip.compress(b"gz " * 500),
    }


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    choice = rng.random()
    if choice < 0.3:
        return bytes(out[: rng.randrange(1, len(out))])  # truncated
    for _ in range(rng.randint(1, 8)):  # flipped bytes, headers included
        out[rng.randrange(len(out))] = rng.randrange(256)
    if choice > 0.85:
        start = rng.randrange(len(out))
        out[start:start] = rng.randbytes(rng.randrange(1, 64))  # inserted junk
    return bytes(out)


def test_mutated_archives_are_reported_never_raised(tmp_path: Path) -> None:
    rng = random.Random(1234)
    seeds = _seeds()
    for name, data in seeds.items():
        for i in range(100):
            (tmp_path / f"{i:03}-{name}").write_bytes(_mutate(data, rng))
    items = list(scan(tmp_path, Limits(max_member_size=1 << 20, max_total_size=4 << 20)))
    top = {i.path for i in items if i.depth == 0}
    assert len(top) == 100 * len(seeds)  # every mutant accounted for
    for item in items:
        assert item.status in STATUSES
        if item.status != OK:
            assert item.detail, item
            # Damage is expected; a parser failing in an unforeseen way is a bug to fix.
            assert "unexpectedly" not in item.detail, item
        if item.depth > 0 and item.status not in (OK,):
            assert item.digests is None or item.status == ERROR, item
        if item.depth == 0:
            assert item.digests is not None  # the evidence file itself is always hashed
    assert any(i.status == ERROR for i in items)
