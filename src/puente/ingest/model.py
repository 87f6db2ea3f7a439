"""What a scan yields: one Item per file, archive member, error or limit hit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from puente.hashing.crypto import Digests

if TYPE_CHECKING:
    from puente.config import Settings
    from puente.hashing.pdq import PdqResult
    from puente.hashing.vpdq import VpdqResult

__all__ = [
    "ENCRYPTED",
    "ERROR",
    "LIMIT_EXCEEDED",
    "OK",
    "SKIPPED_SPECIAL",
    "STATUSES",
    "Item",
    "Limits",
    "decode_path",
    "display_path",
    "encode_path",
    "item_from_fields",
]

OK = "ok"
ERROR = "error"
LIMIT_EXCEEDED = "limit_exceeded"
ENCRYPTED = "encrypted"
SKIPPED_SPECIAL = "skipped_special"
STATUSES = (OK, ERROR, LIMIT_EXCEEDED, ENCRYPTED, SKIPPED_SPECIAL)

# Separates an archive's path from a member's path inside it: "outer.zip!/dir/inner.tar!/f".
MEMBER_SEPARATOR = "!/"


@dataclass(frozen=True)
class Limits:
    """Safety limits for reading archives (plain files are always hashed in full).

    Defaults follow ClamAV's (MaxRecursion, MaxFiles, MaxFileSize, MaxScanSize) plus a
    compression-ratio guard; see docs/ingest.md.
    """

    max_depth: int = 17
    max_members: int = 10_000
    max_member_size: int = 100 * 1024**2
    max_total_size: int = 400 * 1024**2
    max_ratio: float = 100.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.archive_max_depth,
            max_members=settings.archive_max_members,
            max_member_size=settings.archive_max_member_size,
            max_total_size=settings.archive_max_total_size,
            max_ratio=settings.archive_max_ratio,
        )


@dataclass(frozen=True)
class Item:
    """One file or archive member as found on the evidence, or one error/limit hit.

    ``path`` is relative to the evidence root, "/"-separated; archive members are named
    ``"outer.zip!/dir/inner.tar!/file.jpg"`` with the member names exactly as stored in
    the archive (``../x`` and ``/abs`` included: they are names, never used to write).
    File names that are not valid UTF-8 keep their bytes as lone surrogates
    (PEP 383 "surrogateescape"): ``encode_path(item.path)`` gives the original bytes
    back, ``display_path(item.path)`` gives printable text (``\\xff`` escapes).

    ``digests`` is set only when every byte of the item was read and the item did not
    change while it was read; a partial or unstable read never carries digests.
    For an archive, ``status`` also says whether its members were all examined: the
    archive's own digests stay valid when a limit stopped reading its members.
    """

    path: str
    size: int | None
    mtime: float | None
    atime: float | None
    ctime: float | None
    kind: str
    digests: Digests | None
    status: str
    detail: str | None
    depth: int
    container: str | None
    # Perceptual hashes (scan with a PerceptualPolicy): images and videos that decoded.
    pdq: PdqResult | None = None
    vpdq: VpdqResult | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Items cross from the hashing workers to the main process, one per file: a flat
        # tuple (digests inlined) pickles and unpickles in about 2/3 of the time of the
        # default (a state dict plus a nested Digests).
        d = self.__dict__
        digests = d["digests"]
        if digests is None:
            md5 = sha1 = sha256 = None
        else:
            md5, sha1, sha256 = digests.md5, digests.sha1, digests.sha256
        return (
            item_from_fields,
            (
                d["path"],
                d["size"],
                d["mtime"],
                d["atime"],
                d["ctime"],
                d["kind"],
                md5,
                sha1,
                sha256,
                d["status"],
                d["detail"],
                d["depth"],
                d["container"],
                d["pdq"],
                d["vpdq"],
            ),
        )

    @property
    def display(self) -> str:
        return display_path(self.path)

    @property
    def top_level(self) -> str:
        """Path of the top-level evidence file this item belongs to."""
        return self.path.split(MEMBER_SEPARATOR, 1)[0]


_new = object.__new__
_set_attribute = object.__setattr__


def item_from_fields(
    path: str,
    size: int | None,
    mtime: float | None,
    atime: float | None,
    ctime: float | None,
    kind: str,
    md5: str | None,
    sha1: str | None,
    sha256: str | None,
    status: str,
    detail: str | None,
    depth: int,
    container: str | None,
    pdq: PdqResult | None,
    vpdq: VpdqResult | None,
) -> Item:
    """An Item from its fields, digests inlined (None: no digests): what unpickling an Item
    calls (see Item.__reduce__), and what the scanner makes one with. The fields are set at
    once, not one by one through the frozen dataclass's __init__ (2.9 -> 1.7 us)."""
    digests: Digests | None = None
    if md5 is not None:
        digests = _new(Digests)
        _set_attribute(digests, "__dict__", {"md5": md5, "sha1": sha1, "sha256": sha256})
    item = _new(Item)
    _set_attribute(
        item,
        "__dict__",
        {
            "path": path,
            "size": size,
            "mtime": mtime,
            "atime": atime,
            "ctime": ctime,
            "kind": kind,
            "digests": digests,
            "status": status,
            "detail": detail,
            "depth": depth,
            "container": container,
            "pdq": pdq,
            "vpdq": vpdq,
        },
    )
    return item


def encode_path(path: str) -> bytes:
    """Original bytes of a path produced by the scanner (lossless)."""
    return path.encode("utf-8", "surrogateescape")


def decode_path(raw: bytes) -> str:
    """Inverse of :func:`encode_path`."""
    return raw.decode("utf-8", "surrogateescape")


def display_path(path: str) -> str:
    """Printable, valid-UTF-8 form of a path: undecodable bytes as ``\\xNN``."""
    if path.isascii():  # most paths, once per stored file: nothing to escape
        return path
    return encode_path(path).decode("utf-8", "backslashreplace")
