from __future__ import annotations

import pytest

from puente.errors import Conflict, InvalidHash, UnknownAlgorithm
from puente.hashing.base import HashAlgorithm, HexDigest
from puente.hashing.registry import ALGORITHMS, get_algorithm, normalise, register


def test_builtin_names_are_declared_once() -> None:
    for name in ("md5", "sha1", "sha256", "pdq", "photodna"):
        assert ALGORITHMS[name].name == name
        assert isinstance(ALGORITHMS[name], HashAlgorithm)


@pytest.mark.parametrize(
    ("algorithm", "length"), [("md5", 32), ("sha1", 40), ("sha256", 64), ("pdq", 64)]
)
def test_hex_values_are_lowercased_and_length_checked(algorithm: str, length: int) -> None:
    assert normalise(algorithm, " " + "AB" * (length // 2) + "\n") == "ab" * (length // 2)
    with pytest.raises(InvalidHash, match=f"{length} hex digits, got {length - 2}"):
        normalise(algorithm, "a" * (length - 2))
    with pytest.raises(InvalidHash, match="not hexadecimal"):
        normalise(algorithm, "g" * length)


def test_huge_value_is_reported_shortened() -> None:
    with pytest.raises(InvalidHash) as info:
        normalise("md5", "x" * 1_000_000)
    assert len(str(info.value)) < 200
    assert "1000000" in str(info.value)


def test_photodna_is_opaque() -> None:
    value = "Ab+/" * 48
    assert normalise("photodna", value) == value
    with pytest.raises(InvalidHash):
        normalise("photodna", "has space")
    with pytest.raises(InvalidHash):
        normalise("photodna", "  ")


def test_unknown_algorithm() -> None:
    with pytest.raises(UnknownAlgorithm, match="md5"):
        get_algorithm("crc99")
    assert get_algorithm(" MD5 ").name == "md5"


def test_register_extends_and_refuses_a_different_same_name() -> None:
    custom = HexDigest("testalgo", 8)
    try:
        register(custom)
        register(custom)  # idempotent
        assert normalise("testalgo", "DEADBEEF") == "deadbeef"
        with pytest.raises(Conflict):
            register(HexDigest("testalgo", 16))
    finally:
        ALGORITHMS.pop("testalgo", None)
