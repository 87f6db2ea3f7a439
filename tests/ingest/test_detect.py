from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile

import filetype
import pytest
from filetype.types import TYPES

from puente.ingest.detect import (
    _FIRST_BYTES,
    _PREFIXES,
    _SECOND_BYTES,
    archive_format,
    detect,
    detect_kind,
)

# detect_kind skips filetype for heads none of its matchers can match; that screen was
# written against these matchers. A filetype upgrade that changes them must be reviewed.
PINNED = [
    "Dwg",
    "Xcf",
    "Jpeg",
    "Jpx",
    "Apng",
    "Png",
    "Gif",
    "Webp",
    "Tiff",
    "Cr2",
    "Bmp",
    "Jxr",
    "Psd",
    "Ico",
    "Heic",
    "Dcm",
    "Avif",
    "Aac",
    "Midi",
    "Mp3",
    "M4a",
    "Ogg",
    "Flac",
    "Wav",
    "Amr",
    "Aiff",
    "M3gp",
    "Mp4",
    "M4v",
    "Mkv",
    "Mov",
    "Avi",
    "Wmv",
    "Mpeg",
    "Webm",
    "Flv",
    "Woff",
    "Woff2",
    "Ttf",
    "Otf",
    "Doc",
    "Docx",
    "Odt",
    "Xls",
    "Xlsx",
    "Ods",
    "Ppt",
    "Pptx",
    "Odp",
    "Br",
    "Rpm",
    "Dcm",
    "Epub",
    "Zip",
    "Tar",
    "Rar",
    "Gz",
    "Bz2",
    "SevenZ",
    "Pdf",
    "Exe",
    "Swf",
    "Rtf",
    "Nes",
    "Crx",
    "Cab",
    "Eot",
    "Ps",
    "Xz",
    "Sqlite",
    "Deb",
    "Ar",
    "Z",
    "Lzop",
    "Lz",
    "Elf",
    "Lz4",
    "Zstd",
    "Wasm",
]


def test_filetype_matchers_are_the_reviewed_ones() -> None:
    assert [type(t).__name__ for t in TYPES] == PINNED


def _fake_bmp(head: bytes, mime: str) -> bool:
    """filetype's BMP is any "BM" head; detect_kind also wants a DIB header size."""
    return mime == "image/bmp" and detect_kind(head) != mime


def _bmp() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "BMP")
    return buf.getvalue()


def test_screen_agrees_with_filetype_on_random_heads() -> None:
    rng = random.Random(1)
    for _ in range(20_000):
        head = bytes([rng.randrange(256)]) + rng.randbytes(rng.choice([3, 40, 600]))
        guess = filetype.guess(head)
        if guess is not None and not _fake_bmp(head, guess.mime):
            assert detect_kind(head) == guess.mime, head[:8]


@pytest.mark.slow
def test_screen_agrees_with_filetype_on_every_two_byte_prefix() -> None:
    # Every two-byte prefix the screen rejects, with random bytes after it, never matches.
    rng = random.Random(2)
    for first in range(256):
        for second in range(256):
            if bytes([first, second]) in _PREFIXES:
                continue
            for length in (30, 600):
                head = bytes([first, second]) + rng.randbytes(length)
                guess = filetype.guess(head)
                if guess is not None and not _fake_bmp(head, guess.mime):
                    assert detect_kind(head) == guess.mime


def test_two_byte_screen_refines_the_first_byte_screen() -> None:
    # Two separate readings of filetype's matchers: the same first bytes.
    assert set(_SECOND_BYTES) == set(_FIRST_BYTES)
    assert all(len(seconds) == len(set(seconds)) for seconds in _SECOND_BYTES.values())


# One head per filetype matcher family the two-byte screen lets through.
_MATCHED_HEADS = [
    b"ID3\x04" + bytes(40),  # mp3
    b"\xff\xfb\x90" + bytes(40),  # mp3 frame
    b"\xff\xf1" + bytes(40),  # aac
    b"\x1f\x9d" + bytes(40),  # Z
    b"MZ" + bytes(40),  # exe
    b"SQLite format 3\x00" + bytes(40),
    b"Rar!\x1a\x07\x00" + bytes(40),
    b"\x28\xb5\x2f\xfd" + bytes(40),  # zstd frame
    b"\x50\x2a\x4d\x18\x00\x00\x00\x00\x28\xb5\x2f\xfd" + bytes(40),  # zstd skippable
    b"\x04\x22\x4d\x18" + bytes(40),  # lz4
    b"wOFF\x00\x01\x00\x00" + bytes(40),
    b"OggS" + bytes(40),
    b"fLaC" + bytes(40),
    b"RIFF\x00\x00\x00\x00WAVE" + bytes(40),
    b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(40),
    b"II*\x00\x08\x00\x00\x00\x00\x00" + bytes(40),  # tiff
    b"MM\x00*\x00\x00\x00\x08\x00\x00" + bytes(40),  # tiff
    b"%!PS-Adobe" + bytes(40),
    b"\xef\xbb\xbf%PDF-1.4" + bytes(40),
    b"\x7fELF" + bytes(60),
    b"\x00\x00\x01\xba" + bytes(40),  # mpeg
    b"\x00\x01\x00\x00\x00" + bytes(40),  # ttf
    b"\x00asm\x01\x00\x00\x00" + bytes(40),  # wasm
    b"\x1aE\xdf\xa3" + b"\x42\x82\x84webm" + bytes(40),
    b"8BPS" + bytes(40),  # psd
    b"\xfd7zXZ\x00" + bytes(40),
    b"BZh9" + bytes(40),
]


@pytest.mark.parametrize("head", _MATCHED_HEADS)
def test_heads_through_the_screen_get_filetypes_answer(head: bytes) -> None:
    guess = filetype.guess(head)
    assert guess is not None, head[:12]
    assert head[:2] in _PREFIXES
    assert detect_kind(head) == guess.mime


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "a")
    return buf.getvalue()


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("a")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"a"))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("head", "kind", "fmt"),
    [
        (b"", "inode/x-empty", None),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", None),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "image/png", None),
        (b"%PDF-1.7\n", "application/pdf", None),
        (b"plain words\n", "text/plain", None),
        ("ñandú\n".encode(), "text/plain", None),
        (bytes(range(256)) * 4, "unknown", None),
        (_zip(), "application/zip", "zip"),
        (_tar(), "application/x-tar", "tar"),
        (gzip.compress(b"x"), "application/gzip", "gzip"),
        (b"7z\xbc\xaf\x27\x1c" + bytes(30), "application/x-7z-compressed", "7z"),
        (b"BZh91AY&SY" + bytes(30), "application/x-bzip2", "bzip2"),
        (b"\xfd7zXZ\x00" + bytes(30), "application/x-xz", "xz"),
        (b"\x00\x00\x00\x18ftypisom" + bytes(40), "video/mp4", None),
        (_bmp(), "image/bmp", None),
        (b"BM" + bytes(range(40)), "unknown", None),  # "BM" and no DIB header: not a BMP
    ],
)
def test_known_kinds(head: bytes, kind: str, fmt: str | None) -> None:
    assert detect_kind(head[:8192]) == kind
    assert archive_format(head) == fmt
    assert detect(head[:8192]) == (kind, fmt)  # the scanner's: both from one look


def test_detect_is_kind_and_format_on_random_heads() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        head = rng.randbytes(rng.choice((0, 1, 2, 16, 600, 8192)))
        assert detect(head) == (detect_kind(head), archive_format(head))
