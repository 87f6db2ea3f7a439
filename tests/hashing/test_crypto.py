from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from puente.hashing.crypto import Digests, hash_bytes, hash_file, hash_stream

# RFC 1321 / FIPS 180 test vectors for "abc".
ABC = Digests(
    md5="900150983cd24fb0d6963f7d28e17f72",
    sha1="a9993e364706816aba3e25717850c26c9cd0d89d",
    sha256="ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
)
EMPTY = Digests(
    md5="d41d8cd98f00b204e9800998ecf8427e",
    sha1="da39a3ee5e6b4b0d3255bfef95601890afd80709",
    sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
)


def _reference(data: bytes) -> Digests:
    return Digests(
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def test_known_vectors() -> None:
    assert hash_stream(io.BytesIO(b"abc")) == (ABC, 3)
    assert hash_stream(io.BytesIO(b"")) == (EMPTY, 0)
    assert hash_bytes(b"abc") == ABC


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, (1 << 20) - 1, 1 << 20, (1 << 20) + 7])
def test_chunk_boundaries(size: int, tmp_path: Path) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hash_file(path) == (_reference(data), size)
    assert hash_stream(io.BytesIO(data), chunk_size=4096) == (_reference(data), size)


class _ReadOnlyStream(io.RawIOBase):
    """A stream without readinto (like some archive member readers) still hashes."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)


def test_stream_without_readinto() -> None:
    data = os.urandom(3 * 1000 + 1)
    stream = _ReadOnlyStream(data)
    stream.readinto = None  # type: ignore[method-assign,assignment]
    assert hash_stream(stream, chunk_size=1000) == (_reference(data), len(data))  # type: ignore[arg-type]


def test_hash_file_leaves_atime_and_content(tmp_path: Path) -> None:
    path = tmp_path / "evidence.bin"
    path.write_bytes(b"x" * 10_000)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.stat()
    hash_file(path)
    after = path.stat()
    assert after.st_mtime == before.st_mtime
    # O_NOATIME is honoured for the owner on Linux; elsewhere mount options decide.
    if hasattr(os, "O_NOATIME"):
        assert after.st_atime == before.st_atime
    assert path.read_bytes() == b"x" * 10_000


def test_hash_file_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "absent")


def test_digests_as_dict() -> None:
    assert ABC.as_dict() == {"md5": ABC.md5, "sha1": ABC.sha1, "sha256": ABC.sha256}


def test_incremental_hasher_equals_one_pass() -> None:
    from puente.hashing.crypto import Hasher

    data = os.urandom(10_001)
    hasher = Hasher()
    for start in range(0, len(data), 997):
        hasher.update(data[start : start + 997])
    assert (hasher.digests(), hasher.size) == (_reference(data), len(data))
