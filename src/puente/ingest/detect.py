"""File type from content (magic bytes), never from the name."""

from __future__ import annotations

import filetype

__all__ = ["HEAD_SIZE", "archive_format", "detect_kind"]

# filetype looks at the first 8 KiB; tar's magic is at offset 257.
HEAD_SIZE = 8192

# Most common evidence types first (same MIME strings as filetype gives).
_FAST = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_SHORT_HEAD = 1024

# filetype runs ~100 matchers, one Python call each: most of the per-file cost of a
# scan of small files. Each of its matchers (filetype 1.2.0, pinned by
# tests/ingest/test_detect.py) needs the first byte to be one of these, or looks at a
# fixed offset checked in _filetype_may_match; any other head cannot match.
_FIRST_BYTES = frozenset(
    bytes.fromhex(
        "00 04 1a 1f 21 23 25 30 37 38 41 42 43 46 47 49 4c 4d 4e 4f 52 53 66 67 77 7b 7f"
        " 89 ce d0 ed ef fd ff"
    )
    + bytes(range(0x22, 0x29))  # zstd frames
    + bytes(range(0x50, 0x60))  # zip, docx & co, zstd skippable frames
)


def _filetype_may_match(head: bytes) -> bool:
    return (
        head[0] in _FIRST_BYTES
        or head[4:8] == b"ftyp"  # ISO BMFF: mp4, mov, heic, avif, m4a
        or head[128:131] == b"DIC"  # DICOM
        or head[257:262] == b"ustar"  # tar
        or head[34:36] == b"LP"  # eot
    )


ZIP = "zip"
SEVEN_Z = "7z"
TAR = "tar"
GZIP = "gzip"
BZIP2 = "bzip2"
XZ = "xz"


def _is_tar(head: bytes) -> bool:
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    # Pre-POSIX (v7) tar has no magic: accept a header whose checksum is right.
    # The checksum field is octal digits, spaces or NULs; test that before summing.
    if head[148:156].strip(b" \x00").strip(b"01234567"):
        return False
    try:
        stored = int(head[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    computed = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return stored == computed and head[0] != 0


def archive_format(head: bytes) -> str | None:
    """The container format Puente reads members from, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVEN_Z
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"BZh") and len(head) >= 4 and head[3:4].isdigit():
        return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if _is_tar(head):
        return TAR
    return None


# BITMAPINFOHEADER and its relatives: the size field that follows the 14-byte file header.
_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def _is_bmp(head: bytes) -> bool:
    """filetype calls anything starting "BM" a BMP (1 random file in 65,536): also check
    the DIB header size, so that such a file is not sent to an image decoder."""
    return len(head) >= 18 and int.from_bytes(head[14:18], "little") in _DIB_HEADER_SIZES


def _looks_like_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        if exc.start < len(head) - 3:
            return False
    return True


def detect_kind(head: bytes) -> str:
    """MIME type guessed from the first bytes; "inode/x-empty" or "unknown" otherwise."""
    if not head:
        return "inode/x-empty"
    for signature, mime in _FAST:
        if head.startswith(signature):
            return mime
    if _filetype_may_match(head):
        # Only zip-based formats (docx, epub…) need filetype to search deep into the
        # head; everything else is decided by its first bytes.
        kind = filetype.guess(head if head.startswith(b"PK") else head[:_SHORT_HEAD])
        if kind is not None and (kind.mime != "image/bmp" or _is_bmp(head)):
            return str(kind.mime)
    fmt = archive_format(head)
    if fmt is not None:
        return {
            ZIP: "application/zip",
            SEVEN_Z: "application/x-7z-compressed",
            TAR: "application/x-tar",
            GZIP: "application/gzip",
            BZIP2: "application/x-bzip2",
            XZ: "application/x-xz",
        }[fmt]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if _looks_like_text(head):
        return "text/plain"
    return "unknown"
