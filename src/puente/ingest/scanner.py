"""Walk evidence read-only and yield one Item per file, archive member, error or limit hit.

- Directories are listed with os.scandir in name order (repeatable runs); symbolic
  links are never followed (each is reported; a link that loops is an error); FIFOs,
  sockets and devices are reported as skipped_special and never opened.
- Regular files are opened read-only with O_NOATIME (where permitted), O_NOFOLLOW and
  O_NONBLOCK, hashed in one pass, and checked for change: size and mtime from the walk,
  before and after the read must agree, and the bytes read must equal the size.
  A file that changed, vanished or could not be read gets status "error" and no digests.
- Archives found by their magic bytes are read on in memory (see archives.py); their
  members come before the archive's own Item.
- With workers > 1, top-level files are hashed in worker processes; Items of one
  top-level file arrive together, in the same order, but files may arrive in any order.
"""

from __future__ import annotations

import contextlib
import errno
import io
import operator
import os
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from puente.errors import EvidenceError
from puente.hashing.crypto import CHUNK_SIZE, Hasher, open_readonly
from puente.ingest.archives import ArchiveReader, summarise
from puente.ingest.detect import HEAD_SIZE, detect, detect_kind
from puente.ingest.model import ERROR, OK, SKIPPED_SPECIAL, Item, Limits, item_from_fields

if TYPE_CHECKING:
    from puente.ingest.perceptual import PerceptualPolicy

__all__ = ["check_root", "plan", "scan"]

_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# A batch of small files goes to a worker as one task (less inter-process traffic). Every
# task costs the main process ~1 ms (pickling, pipe wake-ups, three threads handing the
# GIL around) on the cores the workers use: 128 small files per task, not 32, took a third
# off the main process's CPU time for 20,000 files (bench/scan.py --full). With 8 MiB a
# task, 2 GB of 100 kB files still made ~250 tasks; 32 MiB (about 0.1 s of hashing on one
# core: the longest the other core can wait at the end) made the command ~0.1 s faster.
_BATCH_FILES = 256
_BATCH_BYTES = 32 * 1024**2


class _Entry(NamedTuple):
    """A regular file found by the walk, with the stat the walk saw.

    A NamedTuple, not a dataclass: one is made in the main process and pickled to a
    worker for every file, and a tuple costs a third of that."""

    path: str  # absolute (str with surrogateescape)
    rel: str
    size: int
    mtime_ns: int


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _times(st: os.stat_result) -> tuple[float, float, float]:
    return st.st_mtime, st.st_atime, st.st_ctime


def _item(
    rel: str,
    st: os.stat_result | None,
    *,
    kind: str,
    status: str,
    detail: str | None,
) -> Item:
    mtime, atime, ctime = _times(st) if st is not None else (None, None, None)
    return Item(
        path=rel,
        size=st.st_size if st is not None else None,
        mtime=mtime,
        atime=atime,
        ctime=ctime,
        kind=kind,
        digests=None,
        status=status,
        detail=detail,
        depth=0,
        container=None,
    )


_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "inode/fifo", "FIFO"),
    (stat.S_ISSOCK, "inode/socket", "socket"),
    (stat.S_ISCHR, "inode/chardevice", "character device"),
    (stat.S_ISBLK, "inode/blockdevice", "block device"),
)


def _special(rel: str, abs_path: str, st: os.stat_result) -> Item:
    """Report a non-regular, non-directory entry without opening it."""
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(abs_path)
        except OSError as exc:
            target = f"<unreadable: {_describe(exc)}>"
        try:
            os.stat(abs_path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return _item(
                    rel,
                    st,
                    kind="inode/symlink",
                    status=ERROR,
                    detail=f"symlink loop: link to {target!r} never resolves ({_describe(exc)})",
                )
            detail = f"symbolic link to {target!r} (dangling: {_describe(exc)}); not followed"
        else:
            detail = f"symbolic link to {target!r}; not followed"
        return _item(rel, st, kind="inode/symlink", status=SKIPPED_SPECIAL, detail=detail)
    for test, kind, name in _SPECIAL_KINDS:
        if test(st.st_mode):
            return _item(rel, st, kind=kind, status=SKIPPED_SPECIAL, detail=f"{name}: never opened")
    return _item(
        rel,
        st,
        kind="unknown",
        status=SKIPPED_SPECIAL,
        detail=f"file type {stat.S_IFMT(st.st_mode):o}: never opened",
    )


_name = operator.attrgetter("name")  # sort key of directory entries: C, not a lambda per entry


def _walk(root: str, skip: Callable[[str], bool] | None) -> Iterator[_Entry | Item]:
    """Depth-first, name-ordered walk yielding regular files and reports of everything else."""
    stack: list[tuple[str, str]] = [(root, "")]
    seen_dirs: set[tuple[int, int]] = set()
    try:
        root_st = os.stat(root)
        seen_dirs.add((root_st.st_dev, root_st.st_ino))
    except OSError:
        pass
    while stack:
        abs_dir, rel_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as listing:
                entries = sorted(listing, key=_name)
        except OSError as exc:
            # The root was checked by scan(); this is a subdirectory we cannot list.
            st = None
            with contextlib.suppress(OSError):
                st = os.lstat(abs_dir)
            yield _item(
                rel_dir,
                st,
                kind="inode/directory",
                status=ERROR,
                detail=f"directory not listed: {_describe(exc)}",
            )
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield _item(
                    rel,
                    None,
                    kind="unknown",
                    status=ERROR,
                    detail=f"vanished or unreadable before it was read: {_describe(exc)}",
                )
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    yield _item(
                        rel,
                        st,
                        kind="inode/directory",
                        status=ERROR,
                        detail="directory loop (bind mount or hard link): already walked",
                    )
                    continue
                seen_dirs.add(key)
                subdirs.append((entry.path, rel))
                continue
            if skip is not None and skip(rel):
                continue
            if stat.S_ISREG(st.st_mode):
                yield _Entry(entry.path, rel, st.st_size, st.st_mtime_ns)
            else:
                yield _special(rel, entry.path, st)
        # Reverse so that the stack pops subdirectories in name order.
        stack.extend(reversed(subdirs))


def _changed(entry: _Entry, before: os.stat_result, after: os.stat_result, read: int) -> str | None:
    problems = []
    if not stat.S_ISREG(before.st_mode):
        return "replaced by a non-regular file after the walk"
    if before.st_size != entry.size or before.st_mtime_ns != entry.mtime_ns:
        problems.append(f"size/mtime changed after the walk ({entry.size} -> {before.st_size})")
    if after.st_size != before.st_size or after.st_mtime_ns != before.st_mtime_ns:
        problems.append(f"size/mtime changed while read ({before.st_size} -> {after.st_size})")
    elif after.st_ctime_ns != before.st_ctime_ns:
        # Same size and mtime but the inode changed (e.g. rewritten, mtime put back).
        problems.append("inode change time moved while read")
    if read != after.st_size:
        problems.append(f"read {read} bytes of {after.st_size}")
    if after.st_nlink == 0:
        problems.append("deleted while it was read")
    if not problems:
        return None
    return "changed during the scan: " + "; ".join(problems)


_local = threading.local()


def _buffer() -> tuple[memoryview, list[memoryview]]:
    """One read buffer per thread, reused: allocating 1 MiB per small file costs more
    than hashing it. Also the one-element list os.readv() wants, made once."""
    cached: tuple[memoryview, list[memoryview]] | None = getattr(_local, "buffer", None)
    if cached is None:
        view = memoryview(bytearray(CHUNK_SIZE))
        cached = (view, [view])
        _local.buffer = cached
    return cached


def scan_file(
    entry: _Entry, limits: Limits, perceptual: PerceptualPolicy | None = None
) -> list[Item]:
    """Hash one top-level regular file (and its archive members). Never raises.

    With ``perceptual``, images (and image members of archives) get their PDQ and videos
    their vPDQ, decoded in an isolated worker process (see ingest/perceptual.py).
    """
    try:
        fd = open_readonly(entry.path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            why = f"vanished before it was read: {_describe(exc)}"
        elif exc.errno == errno.ELOOP:
            why = f"replaced by a symbolic link after the walk: {_describe(exc)}"
        else:
            why = f"not opened: {_describe(exc)}"
        return [_item(entry.rel, None, kind="unknown", status=ERROR, detail=why)]
    try:
        return _scan_open(fd, entry, limits, perceptual)
    finally:
        os.close(fd)


def _scan_open(
    fd: int, entry: _Entry, limits: Limits, perceptual: PerceptualPolicy | None
) -> list[Item]:
    # The read loop works on the descriptor (os.readv into one reused buffer): a file
    # object per file cost more than the read of a small file. Only archives get one.
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return [_special(entry.rel, entry.path, before)]
        hasher = Hasher()
        update = hasher.update
        view, buffers = _buffer()
        full = len(view)
        n = os.readv(fd, buffers)
        head = bytes(view[: min(n, HEAD_SIZE)])
        # An image's bytes are kept to be decoded for PDQ: the bytes hashed are the
        # bytes decoded, read once (O_NOATIME), never a second open of the evidence.
        keep: list[bytes] | None = None
        if n and perceptual is not None and _keep_image(head, entry.size, perceptual):
            keep = []
        while n:
            chunk = view if n == full else view[:n]
            if keep is not None:
                keep.append(bytes(chunk))
            update(chunk)
            n = os.readv(fd, buffers)
            if n and len(head) < HEAD_SIZE:  # a short read: the head is not complete yet
                head += bytes(view[: min(n, HEAD_SIZE - len(head))])
        after = os.fstat(fd)
    except OSError as exc:
        st = None
        with contextlib.suppress(OSError):
            st = os.fstat(fd)
        return [
            _item(
                entry.rel,
                st,
                kind="unknown",
                status=ERROR,
                detail=f"read failed: {_describe(exc)}",
            )
        ]
    kind, fmt = detect(head)
    changed = _changed(entry, before, after, hasher.size)
    if changed is not None:
        return [_item(entry.rel, after, kind=kind, status=ERROR, detail=changed)]
    items: list[Item] = []
    status: str = OK
    detail: str | None = None
    if fmt is not None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            # Archive parsers make many small reads (headers): buffer them. The descriptor
            # stays the caller's to close.
            stream = os.fdopen(fd, "rb", buffering=0, closefd=False)
            with stream, io.BufferedReader(stream, buffer_size=1 << 16) as buffered:
                gen = ArchiveReader(limits, perceptual=perceptual).read(
                    fmt, buffered, entry.rel, 0, hasher.size
                )
                while True:
                    try:
                        items.append(next(gen))
                    except StopIteration as stop:
                        problems = stop.value
                        break
        except OSError as exc:
            problems = [(ERROR, f"archive read failed: {_describe(exc)}")]
        except Exception as exc:
            # A parser bug on hostile input must not end the scan of the evidence;
            # it is recorded against the archive like any other damage.
            problems = [(ERROR, f"archive read failed unexpectedly: {_describe(exc)}")]
        if problems:
            status, detail = summarise(problems)
    md5, sha1, sha256 = hasher.hexdigests()
    item = item_from_fields(
        entry.rel,
        hasher.size,
        before.st_mtime,
        before.st_atime,
        before.st_ctime,
        kind,
        md5,
        sha1,
        sha256,
        status,
        detail,
        0,
        None,
        None,
        None,
    )
    if perceptual is not None and fmt is None:
        item = _perceive(item, entry, keep, perceptual)
    items.append(item)
    return items


# First bytes an image format can start with (JPEG, PNG, GIF, BMP, TIFF, WebP/RIFF); ISO
# BMFF (HEIC, HEIF, AVIF) is told by "ftyp" at offset 4. Anything else is not kept, without
# running type detection twice on every file.
_IMAGE_STARTS = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


def _keep_image(head: bytes, size: int, policy: PerceptualPolicy) -> bool:
    if size > policy.max_in_memory:
        return False
    if not (head.startswith(_IMAGE_STARTS) or head[4:8] == b"ftyp"):
        return False
    from puente.ingest.perceptual import is_image

    return is_image(detect_kind(head))


def _perceive(
    item: Item, entry: _Entry, keep: list[bytes] | None, policy: PerceptualPolicy
) -> Item:
    from puente.ingest.perceptual import is_image, is_video, perceiver

    if is_image(item.kind):
        # Larger than max_in_memory: decoded from the file (read a second time).
        source: str | bytes = b"".join(keep) if keep is not None else entry.path
        return perceiver(policy).image(item, source)
    if is_video(item.kind):
        return perceiver(policy).video(item, entry.path)
    return item


def _scan_batch(
    entries: list[_Entry], limits: Limits, perceptual: PerceptualPolicy | None
) -> list[list[Item]]:
    return [scan_file(entry, limits, perceptual) for entry in entries]


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a worker must not outlive the scan (kill -9 of the scan process).

    Linux: PR_SET_PDEATHSIG delivers SIGKILL when the parent dies; then the parent pid is
    checked once, in case it died before the call. Elsewhere a thread polls the parent pid.
    """
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:
                    os._exit(1)
                return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _check_root(root: Path) -> tuple[str, os.stat_result]:
    path = os.fspath(root)
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise EvidenceError(f"evidence path {path!r} does not exist") from exc
    except OSError as exc:
        raise EvidenceError(f"evidence path {path!r} cannot be read: {_describe(exc)}") from exc
    if stat.S_ISDIR(st.st_mode):
        try:
            with os.scandir(path):
                pass
        except OSError as exc:
            raise EvidenceError(
                f"evidence folder {path!r} cannot be listed: {_describe(exc)}"
            ) from exc
    elif not stat.S_ISREG(st.st_mode):
        raise EvidenceError(
            f"evidence path {path!r} is neither a folder nor a regular file (never opened)"
        )
    return path, st


def check_root(root: Path) -> None:
    """Raise EvidenceError, as scan() and plan() do, if ``root`` cannot be scanned."""
    _check_root(root)


def _sources(
    path: str, st: os.stat_result, skip: Callable[[str], bool] | None
) -> Iterator[_Entry | Item]:
    if stat.S_ISDIR(st.st_mode):
        yield from _walk(path, skip)
        return
    # A single evidence file (an archive, an image): named by its file name.
    rel = os.path.basename(path.rstrip("/")) or path
    if skip is None or not skip(rel):
        yield _Entry(path, rel, st.st_size, st.st_mtime_ns)


def scan(
    root: Path,
    limits: Limits,
    *,
    workers: int = 1,
    skip: Callable[[str], bool] | None = None,
    on_progress: Callable[[Item], None] | None = None,
    perceptual: PerceptualPolicy | None = None,
) -> Iterator[Item]:
    """Yield an Item for every file, archive member, error and limit hit under ``root``.

    ``root`` is a folder or a single file; it is never written to. Raises EvidenceError
    at once (when called, before anything is read) if ``root`` does not exist, cannot be
    listed or is not a folder or regular file. ``skip(path)`` is asked for every
    top-level entry (path relative to ``root``): True skips it and all its members
    (resuming a scan). ``on_progress(item)`` is called in this process for every item,
    just before it is yielded. ``perceptual`` adds PDQ/vPDQ hashes of images and videos
    (``Item.pdq``/``Item.vpdq``). See docs/ingest.md.
    """
    path, st = _check_root(root)
    return _scan_items(_sources(path, st, skip), limits, workers, on_progress, perceptual)


def _scan_items(
    sources: Iterator[_Entry | Item],
    limits: Limits,
    workers: int,
    on_progress: Callable[[Item], None] | None,
    perceptual: PerceptualPolicy | None = None,
) -> Iterator[Item]:
    if workers <= 1:
        for source in sources:
            items = [source] if isinstance(source, Item) else scan_file(source, limits, perceptual)
            for item in items:
                if on_progress is not None:
                    on_progress(item)
                yield item
        return
    yield from _parallel(sources, limits, workers, on_progress, perceptual)


def _parallel(
    sources: Iterator[_Entry | Item],
    limits: Limits,
    workers: int,
    on_progress: Callable[[Item], None] | None,
    perceptual: PerceptualPolicy | None = None,
) -> Iterator[Item]:
    max_in_flight = workers * 3
    in_flight: set[Future[list[list[Item]]]] = set()
    ready: deque[Item] = deque()

    def collect(block: bool) -> None:
        nonlocal in_flight
        if not in_flight:
            return
        done, in_flight = wait(in_flight, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            for items in future.result():
                ready.extend(items)

    def drain() -> Iterator[Item]:
        while ready:
            item = ready.popleft()
            if on_progress is not None:
                on_progress(item)
            yield item

    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),)
    )
    try:
        batch: list[_Entry] = []
        batch_bytes = 0
        for source in sources:
            if isinstance(source, Item):
                ready.append(source)
                continue
            batch.append(source)
            batch_bytes += source.size
            if len(batch) < _BATCH_FILES and batch_bytes < _BATCH_BYTES:
                continue
            in_flight.add(pool.submit(_scan_batch, batch, limits, perceptual))
            batch, batch_bytes = [], 0
            # Check for results once per batch, not per file: the main process
            # shares the cores with the workers.
            collect(block=len(in_flight) >= max_in_flight)
            yield from drain()
        if batch:
            in_flight.add(pool.submit(_scan_batch, batch, limits, perceptual))
        while in_flight or ready:
            if not ready:
                collect(block=True)
            yield from drain()
    finally:
        # A consumer that stops early (or is interrupted) must not wait for queued work.
        pool.shutdown(wait=True, cancel_futures=True)


def plan(root: Path) -> tuple[int, int]:
    """(file count, total bytes) of the regular files under ``root``, for progress bars.

    Archive members are not counted (they are only known once read). Raises
    EvidenceError like scan().
    """
    files = 0
    total = 0
    path, st = _check_root(root)
    for source in _sources(path, st, None):
        if isinstance(source, _Entry):
            files += 1
            total += source.size
    return files, total
