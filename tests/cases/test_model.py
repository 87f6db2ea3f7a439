from __future__ import annotations

import pytest

from puente.cases.model import check_country, check_text, parse_source_hash
from puente.errors import InputError, InvalidHash, UnknownCountry


def test_country_is_normalised_and_checked() -> None:
    assert check_country(" ar ") == "AR"
    assert check_country("ES") == "ES"
    with pytest.raises(UnknownCountry, match="'XX'"):
        check_country("XX")


def test_source_hash_is_normalised() -> None:
    value = "SHA256:" + "AB" * 32
    assert parse_source_hash(value) == "sha256:" + "ab" * 32
    assert parse_source_hash("md5:" + "0" * 32) == "md5:" + "0" * 32


@pytest.mark.parametrize(
    "bad", ["", "ab" * 32, "sha256:" + "ab" * 31, "sha256:" + "zz" * 32, "crc32:00000000"]
)
def test_bad_source_hash_is_rejected_with_its_value(bad: str) -> None:
    with pytest.raises(InvalidHash):
        parse_source_hash(bad)


def test_empty_text_is_rejected() -> None:
    with pytest.raises(InputError, match="title"):
        check_text("title", "   ")
