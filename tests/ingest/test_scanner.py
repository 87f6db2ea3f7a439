"""Plain folders: hashes, timestamps, and every error kind the walk can meet."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ingest_support import by_path, digests_of, snapshot

from puente.errors import EvidenceError
from puente.ingest.model import (
    ERROR,
    OK,
    SKIPPED_SPECIAL,
    Item,
    Limits,
    decode_path,
    display_path,
    encode_path,
)
from puente.ingest.scanner import plan, scan


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"hello\n",
        "empty.bin": b"",
        "sub/b.bin": os.urandom(70_000),
        "sub/deeper/c.bin": os.urandom((1 << 20) + 3),
        "sub/deeper/d.txt": b"x" * 100,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def test_plain_tree_hashes_sizes_times(tmp_path: Path, limits: Limits) -> None:
    files = _tree(tmp_path)
    before = snapshot(tmp_path)
    items = by_path(list(scan(tmp_path, limits)))
    assert set(items) == set(files)
    for rel, data in files.items():
        item = items[rel]
        st = (tmp_path / rel).stat()
        assert item.status == OK and item.detail is None
        assert item.digests == digests_of(data)
        assert item.size == len(data)
        assert (item.mtime, item.ctime) == (st.st_mtime, st.st_ctime)
        assert item.depth == 0 and item.container is None
    assert items["a.txt"].kind == "text/plain"
    assert items["empty.bin"].kind == "inode/x-empty"
    assert snapshot(tmp_path) == before
    assert plan(tmp_path) == (len(files), sum(len(d) for d in files.values()))


def test_walk_order_is_repeatable(tmp_path: Path, limits: Limits) -> None:
    _tree(tmp_path)
    first = [i.path for i in scan(tmp_path, limits)]
    assert first == [i.path for i in scan(tmp_path, limits)]
    assert first == ["a.txt", "empty.bin", "sub/b.bin", "sub/deeper/c.bin", "sub/deeper/d.txt"]


def test_atime_left_unchanged(tmp_path: Path, limits: Limits) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"data" * 1000)
    os.utime(path, (1_000_000_000, 1_100_000_000))
    (item,) = scan(tmp_path, limits)
    assert item.atime == 1_000_000_000
    assert path.stat().st_atime == 1_000_000_000


def test_workers_give_the_same_items(tmp_path: Path, limits: Limits) -> None:
    for i in range(150):
        (tmp_path / f"f{i:03}.bin").write_bytes(os.urandom(i * 37))
    (tmp_path / "big.bin").write_bytes(os.urandom(3 << 20))
    serial = sorted(scan(tmp_path, limits), key=lambda i: i.path)
    seen: list[Item] = []
    parallel = sorted(
        scan(tmp_path, limits, workers=2, on_progress=seen.append), key=lambda i: i.path
    )
    assert serial == parallel
    assert len(seen) == len(parallel)


def test_skip_top_level_paths(tmp_path: Path, limits: Limits) -> None:
    _tree(tmp_path)
    done = {"a.txt", "sub/b.bin"}
    paths = {i.path for i in scan(tmp_path, limits, skip=done.__contains__)}
    assert paths == {"empty.bin", "sub/deeper/c.bin", "sub/deeper/d.txt"}


def test_single_file_root(tmp_path: Path, limits: Limits) -> None:
    path = tmp_path / "evidence.dat"
    path.write_bytes(b"abc")
    (item,) = scan(path, limits)
    assert item.path == "evidence.dat" and item.digests == digests_of(b"abc")


def test_missing_root_is_evidence_error(tmp_path: Path, limits: Limits) -> None:
    with pytest.raises(EvidenceError, match="does not exist"):
        scan(tmp_path / "nope", limits)  # raised when called, before anything is read
    with pytest.raises(EvidenceError):
        plan(tmp_path / "nope")


def test_fifo_root_is_evidence_error(tmp_path: Path, limits: Limits) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(EvidenceError, match="neither a folder nor a regular file"):
        list(scan(tmp_path / "pipe", limits))


def test_empty_folder(tmp_path: Path, limits: Limits) -> None:
    assert list(scan(tmp_path, limits)) == []
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert list(scan(tmp_path, limits)) == []
    assert plan(tmp_path) == (0, 0)


def test_fifo_is_reported_never_opened(tmp_path: Path, limits: Limits) -> None:
    os.mkfifo(tmp_path / "pipe")
    # Opening a FIFO for reading without a writer would block: finishing proves it wasn't.
    (item,) = scan(tmp_path, limits, workers=1)
    assert (item.status, item.kind, item.digests) == (SKIPPED_SPECIAL, "inode/fifo", None)
    assert "never opened" in (item.detail or "")


def test_symlinks_reported_not_followed_and_loops_are_errors(
    tmp_path: Path, limits: Limits
) -> None:
    (tmp_path / "target.txt").write_bytes(b"t")
    os.symlink("target.txt", tmp_path / "link")
    os.symlink("loop_b", tmp_path / "loop_a")
    os.symlink("loop_a", tmp_path / "loop_b")
    os.symlink(".", tmp_path / "self_dir")  # a directory loop if it were followed
    os.symlink("/nonexistent/x", tmp_path / "dangling")
    items = by_path(list(scan(tmp_path, limits)))
    assert set(items) == {"target.txt", "link", "loop_a", "loop_b", "self_dir", "dangling"}
    assert items["link"].status == SKIPPED_SPECIAL and "'target.txt'" in (
        items["link"].detail or ""
    )
    for name in ("loop_a", "loop_b"):
        assert items[name].status == ERROR
        assert "symlink loop" in (items[name].detail or "")
    assert items["self_dir"].status == SKIPPED_SPECIAL
    assert "dangling" in (items["dangling"].detail or "")


def test_non_utf8_names_are_lossless_and_displayable(tmp_path: Path, limits: Limits) -> None:
    raw = b"caf\xe9-\xff.txt"  # Latin-1 bytes: not valid UTF-8
    os.makedirs(os.path.join(os.fsencode(tmp_path), b"dir\xfe"))
    with open(os.path.join(os.fsencode(tmp_path), b"dir\xfe", raw), "wb") as fh:
        fh.write(b"latin")
    (item,) = scan(tmp_path, limits)
    assert encode_path(item.path) == b"dir\xfe/" + raw
    assert decode_path(encode_path(item.path)) == item.path
    assert item.display == display_path(item.path) == "dir\\xfe/caf\\xe9-\\xff.txt"
    item.display.encode("utf-8")  # printable / storable as text
    assert item.digests == digests_of(b"latin")


def test_file_deleted_during_scan(tmp_path: Path, limits: Limits) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(name.encode())

    def delete_b(item: Item) -> None:
        if item.path == "a":
            (tmp_path / "b").unlink()

    items = by_path(list(scan(tmp_path, limits, on_progress=delete_b)))
    assert items["a"].status == OK and items["c"].status == OK
    assert items["b"].status == ERROR and items["b"].digests is None
    assert "vanished" in (items["b"].detail or "")


def test_file_growing_during_scan(tmp_path: Path, limits: Limits) -> None:
    growing = tmp_path / "growing.log"
    growing.write_bytes(os.urandom(8 << 20))
    (tmp_path / "stable.bin").write_bytes(b"s")
    stop = threading.Event()

    def writer() -> None:
        with open(growing, "ab") as fh:
            while not stop.is_set():
                fh.write(b"more\n" * 100)
                fh.flush()
                time.sleep(0.0005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        items = by_path(list(scan(tmp_path, limits)))
    finally:
        stop.set()
        thread.join()
    assert items["stable.bin"].status == OK
    item = items["growing.log"]
    assert item.status == ERROR and item.digests is None
    assert "changed during the scan" in (item.detail or "")


_CHILD = """
import json, sys
from pathlib import Path
from puente.ingest.model import Limits
from puente.ingest.scanner import scan
print(json.dumps([(i.path, i.status, i.detail) for i in scan(Path(sys.argv[1]), Limits())]))
"""


def test_permission_denied(tmp_path: Path, limits: Limits) -> None:
    """Unreadable file and unlistable folder are errors; the scan carries on.

    Root ignores file modes, so as root the scan runs in a child process whose bounding
    set lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (util-linux ``setpriv``): the
    kernel then refuses the reads for real.
    """
    import json

    root = tmp_path / "evidence"
    root.mkdir()
    (root / "ok.txt").write_bytes(b"ok")
    (root / "secret.txt").write_bytes(b"secret")
    (root / "secret.txt").chmod(0)
    (root / "closed").mkdir()
    (root / "closed" / "inside.txt").write_bytes(b"x")
    (root / "closed").chmod(0)
    try:
        if os.geteuid() != 0:
            rows = [(i.path, i.status, i.detail) for i in scan(root, limits)]
        else:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root and util-linux setpriv is absent: cannot drop DAC")
            proc = subprocess.run(
                [
                    setpriv,
                    "--bounding-set=-dac_override,-dac_read_search",
                    sys.executable,
                    "-c",
                    _CHILD,
                    str(root),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0 and "setpriv" in proc.stderr:
                pytest.skip(f"setpriv refused here: {proc.stderr.strip()[-200:]}")
            assert proc.returncode == 0, proc.stderr
            rows = [tuple(r) for r in json.loads(proc.stdout)]
        found = {path: (status, detail) for path, status, detail in rows}
        assert set(found) == {"ok.txt", "secret.txt", "closed"}
        assert found["ok.txt"][0] == OK
        assert found["secret.txt"][0] == ERROR and "PermissionError" in found["secret.txt"][1]
        assert found["closed"][0] == ERROR and "PermissionError" in found["closed"][1]
    finally:
        (root / "closed").chmod(stat.S_IRWXU)
        (root / "secret.txt").chmod(stat.S_IRUSR | stat.S_IWUSR)


def _sparse(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "sparse.img"
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_sparse_file_is_hashed_in_full(tmp_path: Path, limits: Limits) -> None:
    # Plain evidence files are never cut short by archive limits: 300 MiB > max_member_size.
    size = 300 << 20
    _sparse(tmp_path, size)
    (item,) = scan(tmp_path, Limits(max_member_size=1 << 20, max_total_size=1 << 20))
    assert item.status == OK and item.size == size
    assert item.digests is not None
    import hashlib

    zero = bytes(1 << 20)
    sha = hashlib.sha256()
    for _ in range(size >> 20):
        sha.update(zero)
    assert item.digests.sha256 == sha.hexdigest()


@pytest.mark.slow
def test_sparse_10_gb_file(tmp_path: Path, limits: Limits) -> None:
    size = 10 * 1024**3
    _sparse(tmp_path, size)
    (item,) = scan(tmp_path, limits)
    assert item.status == OK and item.size == size and item.digests is not None


def test_socket_and_device_are_reported_never_opened(tmp_path: Path, limits: Limits) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(tmp_path / "sock"))
        expected = {"sock": "inode/socket"}
        try:
            os.mknod(tmp_path / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
            expected["null"] = "inode/chardevice"
        except (PermissionError, OSError):
            pass  # no CAP_MKNOD here: the socket still covers the "never opened" path
        items = by_path(list(scan(tmp_path, limits)))
        assert {p: i.kind for p, i in items.items()} == expected
        assert all(i.status == SKIPPED_SPECIAL and i.digests is None for i in items.values())
    finally:
        sock.close()


def test_limits_from_settings_and_top_level(tmp_path: Path) -> None:
    from puente.config import Settings

    settings = Settings(archive_max_depth=3, archive_max_ratio=50.0)
    limits = Limits.from_settings(settings)
    assert (limits.max_depth, limits.max_ratio) == (3, 50.0)
    assert Limits.from_settings(Settings()) == Limits()  # defaults agree
    item = Item(
        "a/b.zip!/c.tar!/d", 1, None, None, None, "unknown", None, OK, None, 2, "a/b.zip!/c.tar"
    )
    assert item.top_level == "a/b.zip"
