"""Archives read as evidence: names, recursion, limits, bombs, damage, hostile names."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest
from ingest_support import by_path, digests_of, snapshot

from puente.ingest.model import (
    ENCRYPTED,
    ERROR,
    LIMIT_EXCEEDED,
    OK,
    SKIPPED_SPECIAL,
    Item,
    Limits,
)
from puente.ingest.scanner import scan

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2000)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_600_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _7z(members: dict[str, bytes], password: str | None = None) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return buf.getvalue()


def _scan(root: Path, limits: Limits | None = None) -> dict[str, Item]:
    return by_path(list(scan(root, limits or Limits())))


def test_nested_archives_named_and_hashed(tmp_path: Path) -> None:
    text = b"benign text\n" * 50
    inner_tar = _tar({"file.jpg": JPEG, "notes.txt": text})
    inner_7z = _7z({"deep/x.bin": b"seven"})
    outer = _zip({"dir/inner.tar": inner_tar, "s.7z": inner_7z, "plain.txt": text})
    (tmp_path / "outer.zip").write_bytes(outer)
    (tmp_path / "t.tar.gz").write_bytes(_tar({"a/b.txt": text}, "w:gz"))
    (tmp_path / "t.tar.bz2").write_bytes(_tar({"b.txt": text}, "w:bz2"))
    (tmp_path / "t.tar.xz").write_bytes(_tar({"c.txt": text}, "w:xz"))
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "n.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "n.xz").write_bytes(lzma.compress(text))
    items = _scan(tmp_path)
    expected = {
        "outer.zip!/dir/inner.tar!/file.jpg": JPEG,
        "outer.zip!/dir/inner.tar!/notes.txt": text,
        "outer.zip!/s.7z!/deep/x.bin": b"seven",
        "outer.zip!/plain.txt": text,
        "outer.zip!/dir/inner.tar": inner_tar,
        "outer.zip!/s.7z": inner_7z,
        "outer.zip": outer,
        "t.tar.gz!/a/b.txt": text,
        "t.tar.bz2!/b.txt": text,
        "t.tar.xz!/c.txt": text,
        "notes.txt.gz!/notes.txt": text,
        "n.bz2!/n": text,
        "n.xz!/n": text,
    }
    for path, data in expected.items():
        assert items[path].status == OK, (path, items[path].detail)
        assert items[path].digests == digests_of(data), path
        assert items[path].size == len(data)
    jpg = items["outer.zip!/dir/inner.tar!/file.jpg"]
    assert (jpg.kind, jpg.depth, jpg.container) == ("image/jpeg", 2, "outer.zip!/dir/inner.tar")
    assert jpg.mtime == 1_600_000_000
    assert items["outer.zip!/dir/inner.tar"].kind == "application/x-tar"
    assert items["outer.zip"].kind == "application/zip"
    assert items["t.tar.gz"].kind == "application/gzip"
    # Post-order: a container's Item comes after all its members.
    order = [i.path for i in scan(tmp_path, Limits())]
    assert order.index("outer.zip") > order.index("outer.zip!/dir/inner.tar!/file.jpg")


def test_workers_read_archives_too(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"a{i}.zip").write_bytes(
            _zip({f"m{j}.txt": os.urandom(100) for j in range(20)})
        )
    serial = sorted(scan(tmp_path, Limits()), key=lambda i: i.path)
    assert serial == sorted(scan(tmp_path, Limits(), workers=2), key=lambda i: i.path)
    assert len(serial) == 5 * 21


def test_traversal_and_absolute_names_recorded_never_written(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    hostile = {
        "../../escape.txt": b"a",
        "/etc/abs.txt": b"b",
        "C:\\win\\x.txt": b"c",
        "ok/../../y": b"d",
    }
    (evidence / "evil.zip").write_bytes(_zip(hostile))
    (evidence / "evil.tar").write_bytes(_tar(hostile))
    cwd_before = sorted(os.listdir("."))
    before = snapshot(tmp_path)
    items = _scan(evidence)
    for archive in ("evil.zip", "evil.tar"):
        for name, data in hostile.items():
            item = items[f"{archive}!/{name}"]
            assert item.status == OK and item.digests == digests_of(data)
    assert snapshot(tmp_path) == before  # nothing created or changed anywhere under tmp
    assert sorted(os.listdir(".")) == cwd_before
    assert not (tmp_path / "escape.txt").exists()


def _7z_with_names(names: dict[str, str], data: bytes) -> bytes:
    """A 7z whose member names py7zr would refuse to write (patched, CRCs fixed)."""
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.set_encoded_header_mode(False)
        for placeholder in names:
            archive.writestr(data, placeholder)
    raw = buf.getvalue()
    for placeholder, name in names.items():
        assert len(placeholder) == len(name)
        raw = raw.replace(placeholder.encode("utf-16-le"), name.encode("utf-16-le"))
    out = bytearray(raw)
    offset, size = struct.unpack_from("<QQ", out, 12)
    header = bytes(out[32 + offset : 32 + offset + size])
    struct.pack_into("<L", out, 28, zlib.crc32(header))
    struct.pack_into("<L", out, 8, zlib.crc32(bytes(out[12:32])))
    return bytes(out)


def test_7z_traversal_and_absolute_names(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    archive = _7z_with_names({"xxxescape.txt": "../escape.txt", "yetc.txt": "/etc.txt"}, b"z")
    (evidence / "evil.7z").write_bytes(archive)
    before = snapshot(tmp_path)
    items = _scan(evidence)
    for name in ("../escape.txt", "/etc.txt"):
        item = items[f"evil.7z!/{name}"]
        assert item.status == OK and item.digests == digests_of(b"z")
    assert items["evil.7z"].status == OK
    assert snapshot(tmp_path) == before


def test_tar_links_and_devices_are_reported(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, kind, target in (
            ("link", tarfile.SYMTYPE, "/etc/passwd"),
            ("hard", tarfile.LNKTYPE, "../outside"),
            ("dev", tarfile.CHRTYPE, ""),
            ("pipe", tarfile.FIFOTYPE, ""),
        ):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tf.addfile(info)
    (tmp_path / "links.tar").write_bytes(buf.getvalue())
    items = _scan(tmp_path)
    for name in ("link", "hard", "dev", "pipe"):
        assert items[f"links.tar!/{name}"].status == SKIPPED_SPECIAL
    assert "'/etc/passwd'" in (items["links.tar!/link"].detail or "")
    assert items["links.tar"].status == OK


def test_duplicate_member_names_stay_distinct(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("same.txt", b"one")
        with pytest.warns(UserWarning):
            zf.writestr("same.txt", b"two")
    (tmp_path / "dup.zip").write_bytes(buf.getvalue())
    items = _scan(tmp_path)
    assert items["dup.zip!/same.txt"].digests == digests_of(b"one")
    assert items["dup.zip!/same.txt [entry 2]"].digests == digests_of(b"two")


def _flag_encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' flag bit on every local and central header (zipfile can't write it)."""
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (pos := out.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", out, pos + flag_offset)
            struct.pack_into("<H", out, pos + flag_offset, flags | 1)
            start = pos + 4
    return bytes(out)


def test_encrypted_members(tmp_path: Path) -> None:
    (tmp_path / "locked.zip").write_bytes(_flag_encrypted(_zip({"secret.jpg": JPEG})))
    (tmp_path / "locked.7z").write_bytes(_7z({"secret.jpg": JPEG}, password="pw"))
    headers = io.BytesIO()
    with py7zr.SevenZipFile(headers, "w", password="pw") as archive:
        archive.set_encrypted_header(True)
        archive.writestr(JPEG, "hidden.jpg")
    (tmp_path / "hidden.7z").write_bytes(headers.getvalue())
    items = _scan(tmp_path)
    for path in ("locked.zip!/secret.jpg", "locked.7z!/secret.jpg"):
        assert items[path].status == ENCRYPTED and items[path].digests is None
        assert items[path].size == len(JPEG)
    assert items["hidden.7z"].status == ENCRYPTED
    assert items["hidden.7z"].digests is not None  # the container itself is hashed


def _overlap_bomb(copies: int, kernel_size: int) -> bytes:
    """Fifield-style flat bomb: many central-directory entries share one compressed kernel."""
    kernel = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = kernel.compress(bytes(kernel_size)) + kernel.flush()
    crc = zlib.crc32(bytes(kernel_size))
    name = b"k"
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), kernel_size, len(name), 0
    )
    body = local + name + data
    central = b""
    for i in range(copies):
        entry_name = f"f{i}".encode()
        central += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                kernel_size,
                len(entry_name),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + entry_name
        )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, len(central), len(body), 0)
    return body + central + end


def test_overlapping_entry_flat_zip_bomb(tmp_path: Path) -> None:
    bomb = _overlap_bomb(copies=200, kernel_size=1 << 20)  # 200 MiB from a ~1 KiB kernel
    (tmp_path / "flat.zip").write_bytes(bomb)
    items = _scan(tmp_path)
    assert set(items) == {"flat.zip"}  # no member was inflated
    item = items["flat.zip"]
    assert item.status == LIMIT_EXCEEDED
    assert "overlapping entries" in (item.detail or "")
    assert item.digests == digests_of(bomb)


def test_nested_zip_bomb(tmp_path: Path) -> None:
    # 42.zip-style: each level holds copies of the level below; the leaves are 8 MiB of
    # zeros (ratio > 1000). Limits must stop it quickly and say where, for every leaf.
    level = _zip({"zeros.bin": bytes(8 << 20)})
    for depth in range(3):
        level = _zip({f"l{depth}_{i}.zip": level for i in range(8)})
    (tmp_path / "42.zip").write_bytes(level)
    items = list(scan(tmp_path, Limits()))
    leaves = [i for i in items if i.path.endswith("zeros.bin")]
    assert len(leaves) == 8**3
    for leaf in leaves:
        assert leaf.status == LIMIT_EXCEEDED and leaf.digests is None
        assert "max_ratio 100 exceeded" in (leaf.detail or "")
    # Without the ratio guard, the total-size budget stops it instead.
    items = list(scan(tmp_path, Limits(max_ratio=1e9, max_total_size=40 << 20)))
    read = [i for i in items if i.path.endswith("zeros.bin") and i.status == OK]
    assert 0 < len(read) <= 5
    top = next(i for i in items if i.path == "42.zip")
    assert top.status == LIMIT_EXCEEDED and "max_total_size" in (top.detail or "")
    assert sum(1 for i in items if i.status == OK and i.digests is None) == 0


def test_depth_limit(tmp_path: Path) -> None:
    level = _zip({"leaf.txt": b"leaf"})
    for depth in range(5):
        level = _zip({f"n{depth}.zip": level})
    (tmp_path / "deep.zip").write_bytes(level)
    items = _scan(tmp_path, Limits(max_depth=3))
    assert max(i.depth for i in items.values()) == 3
    stopped = [i for i in items.values() if i.status == LIMIT_EXCEEDED]
    assert len(stopped) == 1 and stopped[0].depth == 3
    assert "max_depth 3" in (stopped[0].detail or "") and stopped[0].digests is not None
    assert not any(p.endswith("leaf.txt") for p in items)


def test_member_count_limit(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(_zip({f"m{i}": b"x" for i in range(30)}))
    (tmp_path / "many.tar").write_bytes(_tar({f"m{i}": b"x" for i in range(30)}))
    items = _scan(tmp_path, Limits(max_members=10))
    for archive in ("many.zip", "many.tar"):
        members = [p for p in items if p.startswith(archive + "!/")]
        assert len(members) == 10
        assert items[archive].status == LIMIT_EXCEEDED
        assert "max_members 10" in (items[archive].detail or "")


def test_member_size_and_total_size_limits(tmp_path: Path) -> None:
    payload = {f"r{i}.bin": os.urandom(300_000) for i in range(5)}
    (tmp_path / "sizes.zip").write_bytes(_zip(payload))
    items = _scan(tmp_path, Limits(max_member_size=200_000))
    for name in payload:
        item = items[f"sizes.zip!/{name}"]
        assert item.status == LIMIT_EXCEEDED and "max_member_size 200000" in (item.detail or "")
    items = _scan(tmp_path, Limits(max_total_size=700_000))
    statuses = [items[f"sizes.zip!/{name}"].status for name in payload]
    assert statuses == [OK, OK, LIMIT_EXCEEDED, LIMIT_EXCEEDED, LIMIT_EXCEEDED]
    assert "not read: max_total_size" in (items["sizes.zip!/r4.bin"].detail or "")
    assert items["sizes.zip"].status == LIMIT_EXCEEDED
    assert "max_total_size 700000" in (items["sizes.zip"].detail or "")


def test_ratio_limit_on_compressed_streams(tmp_path: Path) -> None:
    (tmp_path / "zeros.gz").write_bytes(gzip.compress(bytes(20 << 20)))
    (tmp_path / "zeros.tar.gz").write_bytes(_tar({"z.bin": bytes(20 << 20)}, "w:gz"))
    (tmp_path / "zeros.7z").write_bytes(_7z({"z.bin": bytes(20 << 20)}))
    (tmp_path / "zeros.zip").write_bytes(_zip({"z.bin": bytes(20 << 20)}))
    items = _scan(tmp_path)
    for path in ("zeros.gz!/zeros", "zeros.tar.gz!/z.bin", "zeros.7z!/z.bin", "zeros.zip!/z.bin"):
        assert items[path].status == LIMIT_EXCEEDED, path
        assert "max_ratio 100" in (items[path].detail or ""), path
        assert items[path].digests is None
    # Raising the limit lets the same members through.
    items = _scan(tmp_path, Limits(max_ratio=1e9))
    assert items["zeros.zip!/z.bin"].digests == digests_of(bytes(20 << 20))
    assert items["zeros.gz!/zeros"].status == OK


def test_corrupted_archives_keep_what_was_read(tmp_path: Path) -> None:
    good = {f"f{i}.txt": os.urandom(5000) for i in range(4)}
    zip_bytes = bytearray(_zip(good, zipfile.ZIP_STORED))
    # Flip a byte inside f1.txt's data: a CRC error for that member only.
    pos = zip_bytes.find(good["f1.txt"][:64])
    zip_bytes[pos + 100] ^= 0xFF
    (tmp_path / "crc.zip").write_bytes(bytes(zip_bytes))
    tar_bytes = _tar(good)
    (tmp_path / "cut.tar").write_bytes(tar_bytes[: 512 * 2 + 5000 + 2000])  # mid f1.txt
    tgz = _tar(good, "w:gz")
    (tmp_path / "cut.tar.gz").write_bytes(tgz[: len(tgz) // 2])
    (tmp_path / "cut.zip").write_bytes(_zip(good)[:3000])
    seven = _7z(good)
    (tmp_path / "cut.7z").write_bytes(seven[: len(seven) // 2])
    (tmp_path / "junk.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + os.urandom(500))
    items = _scan(tmp_path)
    assert items["crc.zip!/f0.txt"].status == OK
    assert items["crc.zip!/f1.txt"].status == ERROR and "CRC" in (
        items["crc.zip!/f1.txt"].detail or ""
    )
    assert items["crc.zip!/f2.txt"].status == OK
    assert items["cut.tar!/f0.txt"].digests == digests_of(good["f0.txt"])
    assert items["cut.tar"].status == ERROR or items["cut.tar!/f1.txt"].status == ERROR
    assert items["cut.tar.gz"].status in (ERROR, LIMIT_EXCEEDED)
    for path in ("cut.zip", "cut.7z", "junk.7z"):
        assert items[path].status == ERROR, (path, items[path].detail)
        assert items[path].digests is not None  # the damaged file itself is still hashed
    for item in items.values():
        assert item.status != ERROR or item.detail, "every error names its cause"


class _Unseekable(io.RawIOBase):
    """zipfile writes data descriptors (flag bit 3) when it cannot seek back."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.buffer.write(data)


def test_truncated_zip_recovers_members_from_local_headers(tmp_path: Path) -> None:
    good = {f"f{i}.txt": os.urandom(5000) for i in range(3)}
    good["text.txt"] = b"abc" * 20_000
    whole = _zip(good)
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) - 40])  # directory lost
    (tmp_path / "half.zip").write_bytes(whole[:12_000])  # mid f2.txt
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in good.items():
            with zf.open(name, "w") as member:
                member.write(data)
    streamed = bytearray(sink.buffer.getvalue())
    assert streamed[6] & 0x8  # data descriptors in use
    damaged = bytearray(streamed[: len(streamed) - 50])
    pos = damaged.find(good["f1.txt"][:200])  # f1 is random: deflate stores it nearly raw
    damaged[pos + 1000] ^= 0xFF
    (tmp_path / "stream.zip").write_bytes(bytes(damaged))
    items = _scan(tmp_path)
    for name, data in good.items():
        assert items[f"cut.zip!/{name}"].digests == digests_of(data)
    assert items["cut.zip"].status == ERROR
    assert "4 member(s) recovered from local headers" in (items["cut.zip"].detail or "")
    assert items["half.zip!/f1.txt"].digests == digests_of(good["f1.txt"])
    assert items["half.zip!/f2.txt"].status == ERROR and items["half.zip!/f2.txt"].digests is None
    assert items["stream.zip!/f0.txt"].digests == digests_of(good["f0.txt"])
    assert items["stream.zip!/f1.txt"].status == ERROR
    assert "CRC" in (items["stream.zip!/f1.txt"].detail or "")
    assert items["stream.zip!/text.txt"].digests == digests_of(good["text.txt"])


_WRITES: list[tuple[object, object]] = []
_WATCH = {"on": False}


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _WATCH["on"] or event != "open":
        return
    path, mode, flags = args
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    )
    if writing:
        _WRITES.append((path, mode or flags))


def test_scan_opens_nothing_for_writing(tmp_path: Path) -> None:
    """Evidence immutability, seen from the interpreter: no open() for writing at all."""
    inner = _tar({"a.jpg": JPEG}, "w:gz")
    (tmp_path / "case.zip").write_bytes(_zip({"inner.tar.gz": inner, "s.7z": _7z({"x": b"x"})}))
    (tmp_path / "plain.txt").write_bytes(b"plain")
    sys.addaudithook(_audit)  # audit hooks cannot be removed; this one is inert when off
    _WRITES.clear()
    _WATCH["on"] = True
    try:
        (tmp_path.parent / f"{tmp_path.name}-control").write_bytes(b"")  # the hook sees writes
        assert len(_WRITES) == 1
        _WRITES.clear()
        items = _scan(tmp_path)
    finally:
        _WATCH["on"] = False
    assert _WRITES == []
    assert items["case.zip!/inner.tar.gz!/a.jpg"].digests == digests_of(JPEG)


def test_skip_covers_archive_members(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(_zip({"m.txt": b"m"}))
    (tmp_path / "b.txt").write_bytes(b"b")
    paths = {i.path for i in scan(tmp_path, Limits(), skip={"a.zip"}.__contains__)}
    assert paths == {"b.txt"}
