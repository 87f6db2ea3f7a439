"""Archive members read as evidence: streamed in memory, never extracted to disk.

Formats: zip, tar (plain, gz, bz2, xz), 7z (py7zr), and single-stream gz/bz2/xz.
Member names are recorded exactly as stored (``../x``, ``/abs`` included) and are only
ever used as labels. Every limit hit and every read error becomes an Item with its
location; nothing is passed over silently.

Order: an archive's members are yielded before the archive's own Item (post-order),
because only after reading them is it known whether the archive was fully examined.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import itertools
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from puente.hashing.crypto import Hasher
from puente.ingest.detect import (
    BZIP2,
    GZIP,
    HEAD_SIZE,
    SEVEN_Z,
    TAR,
    XZ,
    ZIP,
    archive_format,
    detect_kind,
)
from puente.ingest.model import (
    ENCRYPTED,
    ERROR,
    LIMIT_EXCEEDED,
    MEMBER_SEPARATOR,
    OK,
    SKIPPED_SPECIAL,
    Item,
    Limits,
)

if TYPE_CHECKING:
    from puente.ingest.perceptual import PerceptualPolicy

__all__ = ["ArchiveReader", "Budget", "Problem", "read_archive", "summarise"]

CHUNK = 1 << 20
# The ratio guard only applies once a member (or stream) has produced this many bytes:
# tiny, highly compressible files (a page of zeros) are not bombs.
RATIO_FLOOR = 1 << 20

# (status, detail) of an archive as a whole: why it was not fully examined.
Problem = tuple[str, str]
ItemGen = Generator[Item, None, list[Problem]]

# Exceptions that mean "this archive or member is damaged", not a bug in Puente.
_DAMAGE: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    gzip.BadGzipFile,
    EOFError,
    struct.error,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    MemoryError,
)


def _describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


class LimitHit(Exception):
    """Internal: a limit was hit while reading; ``stop`` ends the whole archive."""

    def __init__(self, detail: str, *, stop: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.stop = stop


@dataclass
class Budget:
    """Decompressed bytes left for one top-level evidence file, across all nesting."""

    limits: Limits
    left: int = -1
    exhausted_at: str | None = None

    def __post_init__(self) -> None:
        if self.left < 0:
            self.left = self.limits.max_total_size

    def take(self, n: int, where: str) -> None:
        self.left -= n
        if self.left < 0:
            self.exhausted_at = where
            raise LimitHit(
                f"max_total_size {self.limits.max_total_size} exceeded while reading this "
                "member: it and the remaining members were not read",
                stop=True,
            )

    def exhausted_problem(self) -> Problem:
        return (
            LIMIT_EXCEEDED,
            f"max_total_size {self.limits.max_total_size} reached at {self.exhausted_at}: "
            "remaining members not read",
        )


@dataclass
class _StreamGuard:
    """Wraps a decompressing stream: counts output and stops compression-ratio bombs."""

    stream: Any
    compressed_size: int
    limits: Limits
    produced: int = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.stream.read(n if n is not None and n >= 0 else CHUNK)
        self.produced += len(data)
        if self.produced > RATIO_FLOOR:
            ratio = self.produced / max(self.compressed_size, 1)
            if ratio > self.limits.max_ratio:
                raise LimitHit(
                    f"max_ratio {self.limits.max_ratio:g} exceeded (ratio {ratio:.1f} of the "
                    "compressed stream): remaining data not read",
                    stop=True,
                )
        return data


@dataclass
class _Prefixed:
    """A stream with bytes already read put back in front (to peek at decompressed data)."""

    head: bytes
    stream: Any
    pos: int = 0

    def read(self, n: int = -1) -> bytes:
        if self.pos < len(self.head):
            if n is None or n < 0:
                rest = self.head[self.pos :]
                self.pos = len(self.head)
                return rest + bytes(self.stream.read())
            chunk = self.head[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk
        return bytes(self.stream.read(n))


class _LocalMember:
    """Reads one member's data after a local header: stored or deflated, sized or not.

    The CRC-32 is checked at the end (from the header, or from the data descriptor when
    the header has none), so a damaged member is never reported with digests.
    """

    def __init__(self, source: BinaryIO, method: int, csize: int | None, crc: int) -> None:
        self.source = source
        self.start = source.tell()
        self.left = csize
        self.inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
        self.consumed = 0
        self.finished = False
        self.pending = b""
        self.crc = crc
        self.running = 0
        self.descriptor = 0

    def read(self, n: int) -> bytes:
        out = self._read(n)
        if out:
            self.running = zlib.crc32(out, self.running)
            return out
        self._verify()
        return b""

    def _verify(self) -> None:
        expected = self.crc
        if self.left is None:
            self.source.seek(self.start + self.consumed)
            descriptor = self.source.read(16)
            has_signature = descriptor[:4] == b"PK\x07\x08"
            self.descriptor = 16 if has_signature else 12
            offset = 4 if has_signature else 0
            if len(descriptor) < offset + 4:
                raise EOFError("data descriptor truncated")
            (expected,) = struct.unpack_from("<L", descriptor, offset)
        if expected != self.running:
            raise zipfile.BadZipFile(
                f"Bad CRC-32: stored {expected:08x}, computed {self.running:08x}"
            )

    def _read(self, n: int) -> bytes:
        while True:
            if self.inflate is not None and self.pending:
                out = self.inflate.decompress(self.pending, n)
                self.pending = self.inflate.unconsumed_tail
                if self.inflate.eof:
                    # Bytes past the end of the deflate stream belong to what follows.
                    self.consumed -= len(self.inflate.unused_data) + len(self.pending)
                    self.pending = b""
                    self.finished = True
                if out:
                    return out
                if self.finished:
                    return b""
            if self.finished:
                return b""
            want = CHUNK if self.left is None else min(CHUNK, self.left)
            if want == 0:
                self.finished = self.inflate is None or self.inflate.eof
                if not self.finished:
                    raise EOFError("deflate stream ends early")
                return b""
            data = self.source.read(want)
            if not data:
                raise EOFError("member data truncated")
            self.consumed += len(data)
            if self.left is not None:
                self.left -= len(data)
            if self.inflate is None:
                if self.left == 0:
                    self.finished = True
                return data
            self.pending = data


@dataclass
class _Names:
    """Makes member paths unique within one archive (duplicate entries happen)."""

    seen: dict[str, int] = field(default_factory=dict)

    def path(self, container: str, name: str) -> tuple[str, str | None]:
        path = f"{container}{MEMBER_SEPARATOR}{name}"
        count = self.seen.get(path, 0) + 1
        self.seen[path] = count
        if count == 1:
            return path, None
        return f"{path} [entry {count}]", f"duplicate member name (occurrence {count})"


def _timestamp(value: datetime | tuple[int, ...] | float | None) -> float | None:
    try:
        if value is None:
            return None
        if isinstance(value, float | int):
            return float(value)
        if isinstance(value, tuple):
            # Zip stores local time without a zone; recorded as if UTC (documented).
            year, month, day, hour, minute, second = value[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    except (ValueError, OverflowError, TypeError, OSError):
        return None


class ArchiveReader:
    """Reads the members of one top-level evidence file's archives, recursively."""

    def __init__(
        self,
        limits: Limits,
        budget: Budget | None = None,
        *,
        perceptual: PerceptualPolicy | None = None,
    ) -> None:
        self.limits = limits
        self.budget = budget or Budget(limits)
        self.perceptual = perceptual

    # -- members --------------------------------------------------------------------

    def _item(
        self,
        path: str,
        container: str,
        depth: int,
        *,
        size: int | None,
        mtime: float | None,
        status: str,
        detail: str | None,
        kind: str = "unknown",
        digests: Any = None,
    ) -> Item:
        return Item(
            path=path,
            size=size,
            mtime=mtime,
            atime=None,
            ctime=None,
            kind=kind,
            digests=digests,
            status=status,
            detail=detail,
            depth=depth,
            container=container,
        )

    def _precheck(self, declared: int | None, compressed: int | None) -> str | None:
        limits = self.limits
        if declared is None:
            return None
        if declared > limits.max_member_size:
            return f"max_member_size {limits.max_member_size} exceeded (declared size {declared})"
        if compressed is not None and declared > RATIO_FLOOR:
            ratio = declared / max(compressed, 1)
            if ratio > limits.max_ratio:
                return f"max_ratio {limits.max_ratio:g} exceeded (ratio {ratio:.1f})"
        return None

    def member(
        self,
        path: str,
        container: str,
        depth: int,
        read: Callable[[int], bytes],
        *,
        declared: int | None,
        compressed: int | None,
        mtime: float | None,
        note: str | None = None,
    ) -> Generator[Item, None, bool]:
        """Hash one member from ``read``; recurse if it is an archive.

        Returns True when reading must stop for the whole containing archive.
        """
        limits = self.limits
        pre = self._precheck(declared, compressed)
        if pre is not None:
            yield self._item(
                path,
                container,
                depth,
                size=declared,
                mtime=mtime,
                status=LIMIT_EXCEEDED,
                detail=pre,
            )
            return False
        hasher = Hasher()
        head = b""
        # Chunks are kept while it is undecided whether the member is an archive (it
        # then has to be re-read from memory), and for as long as it is one.
        keep: list[bytes] | None = []
        decided = False
        fmt: str | None = None
        try:
            while True:
                chunk = read(CHUNK)
                if not chunk:
                    break
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                if not decided and len(head) >= 512:
                    decided = True
                    fmt = archive_format(head)
                    if fmt is None and not self._image(head):
                        keep = None
                hasher.update(chunk)
                if hasher.size > limits.max_member_size:
                    raise LimitHit(
                        f"max_member_size {limits.max_member_size} exceeded "
                        f"(read more than declared size {declared})"
                    )
                if (
                    compressed is not None
                    and hasher.size > RATIO_FLOOR
                    and hasher.size / max(compressed, 1) > limits.max_ratio
                ):
                    ratio = hasher.size / max(compressed, 1)
                    raise LimitHit(f"max_ratio {limits.max_ratio:g} exceeded (ratio {ratio:.1f})")
                self.budget.take(len(chunk), path)
                if keep is not None:
                    keep.append(bytes(chunk))
        except LimitHit as hit:
            yield self._item(
                path,
                container,
                depth,
                size=declared,
                mtime=mtime,
                status=LIMIT_EXCEEDED,
                detail=hit.detail,
                kind=detect_kind(head) if head else "unknown",
            )
            return hit.stop
        except _DAMAGE as exc:
            yield self._item(
                path,
                container,
                depth,
                size=declared,
                mtime=mtime,
                status=ERROR,
                detail=f"member unreadable: {_describe(exc)}",
                kind=detect_kind(head) if head else "unknown",
            )
            return False
        if not decided:
            fmt = archive_format(head) if head else None
        digests = hasher.digests()
        problems: list[Problem] = []
        if note:
            problems.append((OK, note))
        if fmt is not None and keep is not None:
            if depth + 1 > limits.max_depth:
                problems.append(
                    (LIMIT_EXCEEDED, f"max_depth {limits.max_depth} reached: members not read")
                )
            else:
                data = b"".join(keep)
                keep = None
                problems += yield from self.read(fmt, io.BytesIO(data), path, depth, len(data))
        status, detail = summarise(problems)
        item = self._item(
            path,
            container,
            depth,
            size=hasher.size,
            mtime=mtime,
            status=status,
            detail=detail,
            kind=detect_kind(head),
            digests=digests,
        )
        if self.perceptual is not None and fmt is None:
            item = self._perceive(item, keep)
        yield item
        return False

    def _image(self, head: bytes) -> bool:
        if self.perceptual is None:
            return False
        from puente.ingest.perceptual import is_image

        return is_image(detect_kind(head))

    def _perceive(self, item: Item, keep: list[bytes] | None) -> Item:
        from puente.ingest.perceptual import is_image, is_video, perceiver

        assert self.perceptual is not None
        if is_image(item.kind) and keep is not None:
            return perceiver(self.perceptual).image(item, b"".join(keep))
        if is_video(item.kind) and self.perceptual.video:
            # PyAV is given paths only (hashing.vpdq); a member exists only in memory and is
            # never written to disk, so it gets no vPDQ. Said on the item, not hidden.
            note = "vPDQ not computed: video inside an archive (decoded from files only)"
            return replace(item, detail=f"{item.detail}; {note}" if item.detail else note)
        return item

    # -- formats --------------------------------------------------------------------

    def read(self, fmt: str, source: BinaryIO, path: str, depth: int, size: int) -> ItemGen:
        """Yield the members of the archive at ``path`` (``depth`` is the archive's own).

        Returns the problems that keep the archive from being fully examined.
        """
        reader = {
            ZIP: self._zip,
            TAR: self._tar,
            SEVEN_Z: self._7z,
            GZIP: self._compressed,
            BZIP2: self._compressed,
            XZ: self._compressed,
        }[fmt]
        try:
            return (yield from reader(fmt, source, path, depth, size))
        except LimitHit as hit:
            return [(LIMIT_EXCEEDED, hit.detail)]
        except _DAMAGE as exc:
            return [(ERROR, f"archive unreadable: {_describe(exc)}")]

    def _zip(self, fmt: str, source: BinaryIO, path: str, depth: int, size: int) -> ItemGen:
        try:
            zf = zipfile.ZipFile(source)
        except _DAMAGE as exc:
            # No usable central directory (truncated, damaged): recover what the local
            # headers still describe, and say that the listing is incomplete.
            problem = f"zip central directory unreadable ({_describe(exc)})"
            return (yield from self._zip_local(source, path, depth, problem))
        with zf:
            infos = zf.infolist()
            overlap = _zip_overlap(infos, zf.start_dir)
            if overlap is not None:
                return [(LIMIT_EXCEEDED, overlap)]
            problems: list[Problem] = []
            files = [info for info in infos if not info.is_dir()]
            files = self._cap(files, problems)
            names = _Names()
            for info in files:
                if self.budget.exhausted_at is not None:
                    problems.append(self.budget.exhausted_problem())
                    break
                mpath, note = names.path(path, info.filename)
                mtime = _timestamp(info.date_time)
                if info.flag_bits & 0x1:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=info.file_size,
                        mtime=mtime,
                        status=ENCRYPTED,
                        detail="encrypted member: contents not read",
                    )
                    continue
                stream: IO[bytes] | None = None
                try:
                    if self._precheck(info.file_size, info.compress_size) is None:
                        stream = zf.open(info)
                    read = stream.read if stream is not None else _empty
                    stop = yield from self.member(
                        mpath,
                        path,
                        depth + 1,
                        read,
                        declared=info.file_size,
                        compressed=info.compress_size,
                        mtime=mtime,
                        note=note,
                    )
                except _DAMAGE as exc:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=info.file_size,
                        mtime=mtime,
                        status=ERROR,
                        detail=f"member unreadable: {_describe(exc)}",
                    )
                    stop = False
                finally:
                    if stream is not None:
                        with contextlib.suppress(*_DAMAGE):
                            stream.close()
                if stop:
                    problems.append(self.budget.exhausted_problem())
                    # The directory names the members left: account for each of them.
                    for rest in files[files.index(info) + 1 :]:
                        rest_path, _ = names.path(path, rest.filename)
                        yield self._item(
                            rest_path,
                            path,
                            depth + 1,
                            size=rest.file_size,
                            mtime=_timestamp(rest.date_time),
                            status=LIMIT_EXCEEDED,
                            detail=f"not read: {problems[-1][1]}",
                        )
                    break
            return problems

    def _zip_local(self, source: BinaryIO, path: str, depth: int, problem: str) -> ItemGen:
        """Walk local file headers from the start of a zip whose directory is unreadable."""
        source.seek(0)
        names = _Names()
        recovered = 0
        while True:
            header = source.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                break
            fields = struct.unpack("<4x5H3L2H", header)
            flags, method, crc = fields[1], fields[2], fields[5]
            csize, usize, name_len, extra_len = fields[6], fields[7], fields[8], fields[9]
            raw_name = source.read(name_len)
            source.seek(extra_len, io.SEEK_CUR)
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "surrogateescape")
            recovered += 1
            if recovered > self.limits.max_members:
                return [
                    (ERROR, problem),
                    (LIMIT_EXCEEDED, f"max_members {self.limits.max_members} exceeded"),
                ]
            mpath, note = names.path(path, name)
            if name.endswith("/"):
                continue
            sized = not flags & 0x8
            if flags & 0x1:
                yield self._item(
                    mpath,
                    path,
                    depth + 1,
                    size=usize if sized else None,
                    mtime=None,
                    status=ENCRYPTED,
                    detail="encrypted member: contents not read",
                )
                if not sized:
                    return [(ERROR, f"{problem}; recovery stopped at {mpath} (size unknown)")]
                source.seek(csize, io.SEEK_CUR)
                continue
            if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or (
                not sized and method == zipfile.ZIP_STORED
            ):
                yield self._item(
                    mpath,
                    path,
                    depth + 1,
                    size=usize if sized else None,
                    mtime=None,
                    status=ERROR,
                    detail=f"member not recovered: compression method {method}",
                )
                if not sized:
                    return [(ERROR, f"{problem}; recovery stopped at {mpath}")]
                source.seek(csize, io.SEEK_CUR)
                continue
            start = source.tell()
            local = _LocalMember(source, method, csize if sized else None, crc)
            stop = yield from self.member(
                mpath,
                path,
                depth + 1,
                local.read,
                declared=usize if sized else None,
                compressed=csize if sized else None,
                mtime=None,
                note=note,
            )
            if stop or (not sized and not local.finished):
                return [
                    (
                        ERROR,
                        f"{problem}; {recovered} member(s) recovered from local "
                        f"headers, recovery stopped at {mpath}",
                    )
                ]
            source.seek(start + (csize if sized else local.consumed + local.descriptor))
        return [(ERROR, f"{problem}; {recovered} member(s) recovered from local headers")]

    def _cap(self, members: list[Any], problems: list[Problem]) -> list[Any]:
        cap = self.limits.max_members
        if len(members) > cap:
            problems.append(
                (
                    LIMIT_EXCEEDED,
                    f"max_members {cap} exceeded ({len(members)} members): "
                    f"members after #{cap} not read",
                )
            )
            return members[:cap]
        return members

    def _tar(self, fmt: str, source: BinaryIO, path: str, depth: int, size: int) -> ItemGen:
        tf = tarfile.open(fileobj=source, mode="r:", errors="surrogateescape")  # noqa: SIM115
        return (yield from self._tar_members(tf, path, depth, streamed=False))

    def _tar_members(
        self, tf: tarfile.TarFile, path: str, depth: int, *, streamed: bool
    ) -> ItemGen:
        problems: list[Problem] = []
        names = _Names()
        count = 0
        with tf:
            while True:
                if self.budget.exhausted_at is not None:
                    problems.append(self.budget.exhausted_problem())
                    break
                try:
                    info = tf.next()
                except LimitHit as hit:
                    problems.append((LIMIT_EXCEEDED, hit.detail))
                    break
                except _DAMAGE as exc:
                    problems.append((ERROR, f"tar damaged after {count} members: {_describe(exc)}"))
                    break
                if info is None:
                    break
                count += 1
                if count > self.limits.max_members:
                    problems.append(
                        (
                            LIMIT_EXCEEDED,
                            f"max_members {self.limits.max_members} exceeded: "
                            f"members after #{self.limits.max_members} not read",
                        )
                    )
                    break
                if info.isdir():
                    continue
                mpath, note = names.path(path, info.name)
                mtime = _timestamp(float(info.mtime)) if info.mtime else None
                special = _tar_special(info)
                if special is not None:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=info.size,
                        mtime=mtime,
                        status=SKIPPED_SPECIAL,
                        detail=special,
                        kind=_tar_kind(info),
                    )
                    continue
                stream = None
                try:
                    if self._precheck(info.size, None) is None:
                        stream = tf.extractfile(info)
                    read = stream.read if stream is not None else _empty
                    stop = yield from self.member(
                        mpath,
                        path,
                        depth + 1,
                        read,
                        declared=info.size,
                        compressed=None,
                        mtime=mtime,
                        note=note,
                    )
                except LimitHit as hit:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=info.size,
                        mtime=mtime,
                        status=LIMIT_EXCEEDED,
                        detail=hit.detail,
                    )
                    stop = True
                except _DAMAGE as exc:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=info.size,
                        mtime=mtime,
                        status=ERROR,
                        detail=f"member unreadable: {_describe(exc)}",
                    )
                    stop = streamed
                if stop:
                    if self.budget.exhausted_at is not None:
                        problems.append(self.budget.exhausted_problem())
                    else:
                        problems.append(
                            (
                                LIMIT_EXCEEDED,
                                f"reading stopped at {mpath} (see its detail): "
                                "remaining members not read",
                            )
                        )
                    break
                if streamed and stream is None:
                    # Skipping an over-limit member of a compressed stream would mean
                    # decompressing it anyway: stop here and say so.
                    problems.append(
                        (
                            LIMIT_EXCEEDED,
                            f"reading stopped at over-limit member {mpath}: "
                            "remaining members not read",
                        )
                    )
                    break
        return problems

    def _compressed(self, fmt: str, source: BinaryIO, path: str, depth: int, size: int) -> ItemGen:
        opener: Callable[[Any], Any] = {
            GZIP: lambda s: gzip.GzipFile(fileobj=s, mode="rb"),
            BZIP2: lambda s: bz2.BZ2File(s, mode="rb"),
            XZ: lambda s: lzma.LZMAFile(s, mode="rb"),  # noqa: SIM115
        }[fmt]
        guard = _StreamGuard(opener(source), size, self.limits)
        head = b""
        while len(head) < 1024:
            chunk = guard.read(1024 - len(head))
            if not chunk:
                break
            head += chunk
        stream = _Prefixed(head, guard)
        if archive_format(head) == TAR:
            tf = tarfile.open(fileobj=stream, mode="r|", errors="surrogateescape")  # type: ignore[call-overload]  # noqa: SIM115
            return (yield from self._tar_members(tf, path, depth, streamed=True))
        name = _inner_name(path)
        stop = yield from self.member(
            f"{path}{MEMBER_SEPARATOR}{name}",
            path,
            depth + 1,
            stream.read,
            declared=None,
            compressed=size,
            mtime=None,
        )
        if stop and self.budget.exhausted_at is not None:
            return [self.budget.exhausted_problem()]
        return []

    def _7z(self, fmt: str, source: BinaryIO, path: str, depth: int, size: int) -> ItemGen:
        import py7zr  # ~70 ms of imports: only for evidence that holds a 7z archive

        from puente.ingest.sevenzip import SinkFactory, entry_time

        damage: tuple[type[BaseException], ...] = (*_DAMAGE, py7zr.exceptions.ArchiveError)
        try:
            archive = py7zr.SevenZipFile(source, mode="r")
        except py7zr.exceptions.PasswordRequired:
            return [(ENCRYPTED, "encrypted 7z (headers encrypted): members not listed")]
        except damage as exc:
            return [(ERROR, f"7z unreadable: {_describe(exc)}")]
        problems: list[Problem] = []
        with archive:
            files = [f for f in archive.files if not f.is_directory]
            files = self._cap(files, problems)
            names = _Names()
            members: dict[str, SevenMember] = {}
            encrypted = archive.needs_password()
            for index, entry in enumerate(files):
                name = str(entry.filename)
                mpath, note = names.path(path, name)
                member = SevenMember(
                    token=f"puente-member-{index}",
                    path=mpath,
                    note=note,
                    size=entry.uncompressed,
                    mtime=entry_time(entry),
                )
                skipped = None
                if encrypted:
                    skipped = (ENCRYPTED, "encrypted member: contents not read")
                elif entry.is_symlink:
                    skipped = (SKIPPED_SPECIAL, "symbolic link entry (not followed)")
                elif (pre := self._precheck(entry.uncompressed, None)) is not None:
                    skipped = (LIMIT_EXCEEDED, pre)
                if skipped is not None:
                    yield self._item(
                        mpath,
                        path,
                        depth + 1,
                        size=member.size,
                        mtime=member.mtime,
                        status=skipped[0],
                        detail=skipped[1],
                    )
                    continue
                # py7zr checks member names as if it were writing files, and refuses
                # "../x" or "/x". We never write: give it neutral names, keep the real ones.
                entry._file_info["filename"] = member.token
                members[member.token] = member
            if not members:
                return problems
            factory = SinkFactory(self, path, depth, size, members)
            try:
                archive.extract(targets=list(members), factory=factory)
            except LimitHit as hit:
                problems.append((LIMIT_EXCEEDED, f"{hit.detail}; remaining members not read"))
            except damage as exc:
                problems.append((ERROR, f"7z damaged: {_describe(exc)}"))
            yield from factory.drain()
            missing = [m for token, m in members.items() if token not in factory.done]
            if missing and not problems:
                problems.append((ERROR, f"{len(missing)} members listed but not produced"))
            stop_status = problems[-1][0] if problems else ERROR
            for member in missing:
                if factory.hit is not None and factory.hit[0] == member.token:
                    status, detail = LIMIT_EXCEEDED, factory.hit[1]
                else:
                    status = stop_status
                    detail = "member not read: reading of the archive stopped before it"
                yield self._item(
                    member.path,
                    path,
                    depth + 1,
                    size=member.size,
                    mtime=member.mtime,
                    status=status,
                    detail=detail,
                )
        return problems


@dataclass(frozen=True)
class SevenMember:
    token: str
    path: str
    note: str | None
    size: int | None
    mtime: float | None


def _run(gen: Generator[Item, None, Any]) -> list[Item]:
    items: list[Item] = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration:
            return items


def _empty(n: int) -> bytes:
    return b""


def summarise(problems: list[Problem]) -> tuple[str, str | None]:
    if not problems:
        return OK, None
    order = {ERROR: 0, LIMIT_EXCEEDED: 1, ENCRYPTED: 2, OK: 3}
    status = min((p[0] for p in problems), key=lambda s: order.get(s, 9))
    return status, "; ".join(p[1] for p in problems)


def _zip_overlap(infos: list[zipfile.ZipInfo], start_dir: int) -> str | None:
    """Entries whose data overlap another entry or the central directory (Fifield bombs).

    Python 3.11.7 lacks CPython's own check (gh-109858), so we run ours on every zip.
    The span counted is the 30-byte local header plus the compressed data; names and
    extra fields are left out so that only real overlaps are reported.
    """
    # Entries that start past the data are damaged, not overlapping: reading them fails
    # and is reported per member.
    spans = sorted(
        (
            (info.header_offset, info.header_offset + 30 + info.compress_size, info)
            for info in infos
            if info.header_offset < start_dir
        ),
        key=lambda span: (span[0], span[1]),
    )
    for (start, end, info), (next_start, _, other) in itertools.pairwise(spans):
        if next_start < end:
            return (
                f"overlapping entries (possible zip bomb): {info.filename!r} at offset "
                f"{start} overlaps {other.filename!r} at offset {next_start}; members not read"
            )
    if spans and spans[-1][1] > start_dir:
        start, end, info = spans[-1]
        return (
            f"overlapping entries (possible zip bomb): {info.filename!r} at offset {start} "
            f"runs into the central directory at {start_dir}; members not read"
        )
    return None


def _tar_special(info: tarfile.TarInfo) -> str | None:
    if info.isfile():
        return None
    if info.issym():
        return f"symbolic link to {info.linkname!r} (not followed)"
    if info.islnk():
        return f"hard link to {info.linkname!r} (not followed)"
    if info.ischr() or info.isblk():
        return "device node (no data)"
    if info.isfifo():
        return "FIFO (no data)"
    return f"tar entry type {info.type!r} (no data)"


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.issym() or info.islnk():
        return "inode/symlink"
    if info.ischr():
        return "inode/chardevice"
    if info.isblk():
        return "inode/blockdevice"
    if info.isfifo():
        return "inode/fifo"
    return "unknown"


def _inner_name(path: str) -> str:
    base = path.rsplit(MEMBER_SEPARATOR, 1)[-1].rsplit("/", 1)[-1]
    lowered = base.lower()
    for suffix, replacement in ((".tgz", ".tar"), (".gz", ""), (".bz2", ""), (".xz", "")):
        if lowered.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)] + replacement
    return base + ".decompressed"


def read_archive(
    fmt: str,
    source: BinaryIO,
    path: str,
    depth: int,
    size: int,
    limits: Limits,
    budget: Budget | None = None,
) -> ItemGen:
    """Members of the archive ``path`` (format ``fmt``), then the problems found."""
    return (yield from ArchiveReader(limits, budget).read(fmt, source, path, depth, size))
