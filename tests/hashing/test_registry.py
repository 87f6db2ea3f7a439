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


def test_vpdq_is_registered_without_importing_the_video_module() -> None:
    """The registry alone knows "vpdq" (no numpy/PyAV load, no import cycle)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from puente.hashing.registry import ALGORITHMS, normalise\n"
        "assert 'vpdq' in ALGORITHMS, sorted(ALGORITHMS)\n"
        "assert 'puente.hashing.vpdq' not in sys.modules\n"
        f"print(normalise('vpdq', {VPDQ_RAW!r}))\n"
        "import puente.hashing.vpdq as v\n"
        "assert ALGORITHMS['vpdq'] is v.VPDQ\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == VPDQ_STORED


VPDQ_RAW = "0,100," + "AB" * 32 + ",0.0\n 30 , 87 ," + "0f" * 32 + ",1.0001\n"
VPDQ_STORED = "0,100," + "ab" * 32 + ",0.000;30,87," + "0f" * 32 + ",1.000"


def test_vpdq_values_normalise_to_meta_lines_joined_by_semicolons() -> None:
    assert normalise("vpdq", VPDQ_RAW) == VPDQ_STORED
    assert normalise("vpdq", VPDQ_STORED) == VPDQ_STORED  # idempotent: ';' form is accepted
    with pytest.raises(InvalidHash, match="64 hex"):
        normalise("vpdq", "0,100,abc,0.0")
    with pytest.raises(InvalidHash, match="no frames"):
        normalise("vpdq", " ; ")
