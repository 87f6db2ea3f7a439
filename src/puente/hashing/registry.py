"""Algorithm names are storage keys, declared once here (or by a module that registers).

Built in: md5, sha1, sha256 (cryptographic), pdq (64 hex, perceptual), vpdq (video, Meta's
vPDQ lines joined with ``;``) and photodna (opaque). Other modules may add theirs with
``register``.

"vpdq" is always present: its normaliser lives in hashing/vpdq.py (with Meta's file format),
which needs numpy and pdqhash, so the registry holds a small stand-in that imports that module
on first use. Importing hashing/vpdq.py replaces the stand-in with the real object; both give
the same stored form.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.errors import Conflict, UnknownAlgorithm
from puente.hashing.base import HashAlgorithm, HexDigest, OpaqueHash
from puente.hashing.md5 import MD5
from puente.hashing.sha1 import SHA1
from puente.hashing.sha256 import SHA256

PDQ = HexDigest("pdq", 64)
# PhotoDNA arrives as base64 (192 characters) or hex (288) depending on the exporter; it is
# never computed here, only carried, so the value is kept exactly as given.
PHOTODNA = OpaqueHash("photodna", max_length=1024)


@dataclass(frozen=True)
class _LazyVpdq:
    """Stand-in for hashing.vpdq.VPDQ: imported on first use, so loading the registry stays
    light and there is no import cycle (hashing/vpdq.py registers itself into this module)."""

    name: str = "vpdq"

    def normalise(self, value: str) -> str:
        from puente.hashing.vpdq import VPDQ

        return VPDQ.normalise(value)


ALGORITHMS: dict[str, HashAlgorithm] = {}


def register(algorithm: HashAlgorithm, *, replace: bool = False) -> HashAlgorithm:
    """Add an algorithm under its name; a second, different one with the same name is refused."""
    name = algorithm.name
    if name != name.lower() or not name.isidentifier():
        raise ValueError(f"algorithm name must be a lowercase identifier: {name!r}")
    existing = ALGORITHMS.get(name)
    if existing is not None and existing != algorithm and not replace:
        raise Conflict(f"hash algorithm {name!r} is already registered")
    ALGORITHMS[name] = algorithm
    return algorithm


for _builtin in (MD5, SHA1, SHA256, PDQ, PHOTODNA, _LazyVpdq()):
    register(_builtin)


def get_algorithm(name: str) -> HashAlgorithm:
    try:
        return ALGORITHMS[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(ALGORITHMS))
        raise UnknownAlgorithm(f"unknown hash algorithm {name!r} (known: {known})") from None


def normalise(algorithm: str, value: str) -> str:
    """The stored form of ``value`` for ``algorithm``; raises InvalidHash or UnknownAlgorithm."""
    return get_algorithm(algorithm).normalise(value)


def algorithm_for_hex_length(length: int) -> str | None:
    """The default algorithm for a bare hex value of this length (64 means sha256, not pdq)."""
    return {32: "md5", 40: "sha1", 64: "sha256"}.get(length)
