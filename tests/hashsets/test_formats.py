"""Readers and writers without a database: dialects, quirks and every bad input of issue 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from puente.errors import FormatError, UnknownFormat
from puente.hashsets.formats import FORMATS, ReadOptions, detect, get_format
from puente.hashsets.model import Entry, HashSetInfo, Row, RowError
from puente.hashsets.samples import media_records, write_icse, write_nsrl, write_text, write_vics

MD5 = "7C3E4C88EE23AA18C401849CDE1799AB"
SHA1 = "D917183EE8AD94BB7F8B36CB3820C95E3A09F963"
V13 = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"
V12 = "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Media"
V20 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#{}"


def read_all(path: Path, fmt: str | None = None, **opts: object) -> list[Row | RowError]:
    name = fmt or detect(path)
    return list(get_format(name).read(path, ReadOptions(**opts)))  # type: ignore[arg-type]


def rows(items: list[Row | RowError]) -> list[Row]:
    return [i for i in items if isinstance(i, Row)]


def errors(items: list[Row | RowError]) -> list[RowError]:
    return [i for i in items if isinstance(i, RowError)]


def doc(key: str, url: str, value: object) -> str:
    return json.dumps({key: url, "value": value})


# -- VICS -----------------------------------------------------------------------------------


def test_vics2_quirks_bom_uppercase_string_booleans_photodna(tmp_path: Path) -> None:
    pdna = "A" * 192
    record = {
        "MediaID": 1,
        "Category": "1",
        "MD5": MD5,
        "SHA1": SHA1,
        "PhotoDNA": pdna,
        "VictimIdentified": "true",
        "IsDistributed": False,
        "odata.id": "x",
    }
    path = tmp_path / "v2.json"
    path.write_text(
        doc("@odata.context", V20.format("Default", "Media"), [record]), encoding="utf-8-sig"
    )
    assert detect(path) == "vics2"
    (row,) = read_all(path)
    assert isinstance(row, Row)
    by_algo = {e.algorithm: e for e in row.entries}
    assert by_algo["md5"].value == MD5.lower()
    assert by_algo["sha1"].value == SHA1.lower()
    assert by_algo["photodna"].value == pdna
    e = by_algo["md5"]
    assert (e.category, e.source_scheme, e.source_category, e.source_id) == (
        "csam",
        "vics_us",
        "1",
        "1",
    )
    assert e.metadata == {"VictimIdentified": True, "IsDistributed": False}


def test_vics_1x_alternative_hashes_and_categories(tmp_path: Path) -> None:
    records = [
        {
            "MediaID": 5,
            "Category": 0,
            "MD5": MD5,
            "AlternativeHashes": [
                {"HashName": "PhotoDNA", "HashValue": "B" * 192},
                {"HashName": "Weird", "HashValue": "x"},
            ],
        },
        {"MediaID": 6, "Category": None, "MD5": MD5.replace("7", "8")},
    ]
    for url in (V12, V13):
        path = tmp_path / "v1.json"
        path.write_text(doc("odata.metadata", url, records))
        assert detect(path) == "vics"
        got = rows(read_all(path))
        assert [e.algorithm for e in got[0].entries] == ["md5", "photodna"]
        assert got[0].entries[0].category == "non_pertinent"
        assert got[0].entries[0].metadata == {
            "AlternativeHashes": [{"HashName": "Weird", "HashValue": "x"}]
        }
        assert got[1].entries[0].category == "uncategorised"
    legacy = rows(read_all(path, scheme="vics_legacy"))
    assert legacy[0].entries[0].category == "uncategorised"


def test_vics2_case_export_yields_media_of_each_case(tmp_path: Path) -> None:
    case = {
        "CaseID": "{00000000-0000-4000-8000-000000000001}",
        "CaseNumber": "T-1",
        "Media": [
            {
                "MediaID": 1,
                "MD5": MD5,
                "Category": 2,
                "MediaFiles": [{"MD5": MD5, "FileName": "a", "FilePath": "/a"}],
            }
        ],
    }
    path = tmp_path / "case.json"
    path.write_text(doc("@odata.context", V20.format("US", "Cases"), [case]))
    (row,) = rows(read_all(path))
    assert row.entries[0].category == "exploitive"


def test_vics2_uk_region_keeps_source_category(tmp_path: Path) -> None:
    path = tmp_path / "uk.json"
    path.write_text(
        doc(
            "@odata.context", V20.format("UK", "Media"), [{"MediaID": 1, "MD5": MD5, "Category": 3}]
        )
    )
    (row,) = rows(read_all(path))
    assert (row.entries[0].source_scheme, row.entries[0].source_category) == ("vics_uk", "3")
    assert row.entries[0].category == "uncategorised"


@pytest.mark.parametrize(
    ("key", "url", "message"),
    [
        (
            "odata.metadata",
            "http://github.com/ICMEC/ProjectVic/DataModels/1.5.xml#Media",
            "unsupported VICS version",
        ),
        (
            "@odata.context",
            "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/3.0.xml/US/$metadata#Media",
            "unsupported VICS version",
        ),
        (
            "odata.metadata",
            "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Things",
            "unsupported VICS document kind",
        ),
    ],
)
def test_wrong_vics_version_string(tmp_path: Path, key: str, url: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(doc(key, url, [{"MD5": MD5}]))
    with pytest.raises(FormatError, match=message) as info:
        read_all(path, "vics2" if key.startswith("@") else "vics")
    assert info.value.line == 1 and str(path) in str(info.value)


def test_vics_format_mismatch_is_named(tmp_path: Path) -> None:
    path = write_vics(tmp_path / "v13.json", media_records(2), "1.3")
    with pytest.raises(FormatError, match=r"VICS 1\.3, not what --format vics2 reads"):
        read_all(path, "vics2")


def test_malformed_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    lines = [json.dumps({"odata.metadata": V13})[:-1] + ', "value": [']
    lines += [json.dumps({"MediaID": i, "MD5": MD5}) + "," for i in range(5)]
    lines += ['{"MediaID": 9, "MD5": "' + MD5 + '" "Category": 1},', "{}]}"]
    path.write_text("\n".join(lines))
    with pytest.raises(FormatError, match="malformed JSON") as info:
        read_all(path, "vics")
    assert info.value.line == 7


def test_truncated_json(tmp_path: Path) -> None:
    full = write_vics(tmp_path / "full.json", media_records(50), "2.0").read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(FormatError, match="truncated") as info:
        read_all(path, "vics2")
    assert info.value.line is not None and info.value.line > 1


def test_streaming_parser_crosses_buffer_boundaries(tmp_path: Path) -> None:
    from puente.hashsets.formats import jsonstream

    path = write_vics(tmp_path / "many.json", media_records(300, seed=3), "2.0")
    small = jsonstream.CHUNK
    try:
        jsonstream.CHUNK = 97  # odd, tiny chunks split every token somewhere
        got = rows(read_all(path, "vics2"))
    finally:
        jsonstream.CHUNK = small
    assert [r.entries[0].source_id for r in got] == [str(i) for i in range(1, 301)]
    assert got[-1].line == 301


def test_vics_bad_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    records = [
        {"MediaID": 1, "MD5": MD5[:-1], "Category": 1},  # wrong length
        {"MediaID": 2, "MD5": "Z" * 32},  # not hex
        {"MediaID": 3, "MD5": MD5, "Category": 9},  # unknown category
        {"MediaID": 4, "Category": 1},  # no hash
        {"MediaID": 5, "MD5": MD5, "VictimIdentified": "maybe"},
        {"MediaID": 6, "MD5": MD5},
    ]
    path = tmp_path / "rows.json"
    path.write_text(
        json.dumps({"@odata.context": V20.format("US", "Media")})[:-1]
        + ', "value": [\n'
        + ",\n".join(json.dumps(r) for r in records)
        + "\n]}"
    )
    items = read_all(path)
    errs = errors(items)
    assert [e.line for e in errs] == [2, 3, 4, 5, 6]
    assert "32 hex digits, got 31" in errs[0].reason
    assert "not hexadecimal" in errs[1].reason
    assert "unknown category '9'" in errs[2].reason
    assert "no hash" in errs[3].reason
    assert "VictimIdentified" in errs[4].reason
    assert len(rows(items)) == 1


def test_json_without_vics_header(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": [1, 2]}')
    with pytest.raises(UnknownFormat, match="VICS header"):
        detect(path)
    with pytest.raises(FormatError, match=r"no 'odata\.metadata' or '@odata\.context'"):
        read_all(path, "vics")


# -- text, CSV, ICSE ------------------------------------------------------------------------


def test_text_lengths_comments_and_md5sum_lines(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(
        b"\xef\xbb\xbf# comment\n"
        + MD5.encode()
        + b"  file.jpg\r\n"
        + SHA1.encode()
        + b"\n\n"
        + b"a" * 64
        + b"\n"
        + b"abc\n"
        + b"g" * 32
        + b"\n"
    )
    assert detect(path) == "text"
    items = read_all(path, category="csam")
    assert [(r.entries[0].algorithm, r.line) for r in rows(items)] == [
        ("md5", 2),
        ("sha1", 3),
        ("sha256", 5),
    ]
    assert all(r.entries[0].category == "csam" for r in rows(items))
    assert [(e.line, "32, 40 or 64" in e.reason) for e in errors(items)] == [(6, True), (7, False)]
    pdq = rows(read_all(path, "text", algorithm="pdq"))
    assert [r.entries[0].algorithm for r in pdq] == ["pdq"]


def test_one_megabyte_line_is_reported_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(
        MD5.encode() + b"\n" + b"f" * (1 << 20) + b"\n" + MD5.lower().encode()[:-1] + b"0\n"
    )
    items = read_all(path, "text")
    (err,) = errors(items)
    assert err.line == 2 and "line too long (1048577 bytes" in err.reason
    assert len(rows(items)) == 2


def test_text_refuses_json_and_sqlite(tmp_path: Path) -> None:
    path = write_vics(tmp_path / "v.json", media_records(1), "2.0")
    with pytest.raises(FormatError, match="looks like JSON"):
        read_all(path, "text")


def test_csv_pairwise_and_per_algorithm_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "algorithm,value,category,source_scheme,source_category\n"
        f"md5,{MD5},,vics_us,1\n"
        f"sha1,{SHA1},exploitive,,\n"
        f"md5,{MD5[:-2]},csam,,\n"
        "md5,00000000000000000000000000000001,nonsense,,\n"
    )
    assert detect(path) == "csv"
    items = read_all(path)
    good = rows(items)
    assert good[0].entries[0].category == "csam"
    assert good[1].entries[0].category == "exploitive"
    assert [e.line for e in errors(items)] == [4, 5]
    assert "unknown category 'nonsense'" in errors(items)[1].reason
    wide = tmp_path / "b.csv"
    wide.write_text(f"md5;sha1;comment\n{MD5};{SHA1};hello\n")
    (row,) = rows(read_all(wide, "csv"))
    assert {e.algorithm for e in row.entries} == {"md5", "sha1"}
    assert row.entries[0].comment == "hello"


def test_csv_without_hash_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,size\nfoo,1\n")
    with pytest.raises(FormatError, match="no hash column") as info:
        read_all(path, "csv")
    assert info.value.line == 1


def test_icse_reads_flags_and_baseline(tmp_path: Path) -> None:
    path = write_icse(tmp_path / "icse.csv", 20, seed=2)
    assert detect(path) == "icse"
    got = rows(read_all(path))
    assert len(got) == 20
    for row in got:
        e = row.entries[0]
        assert e.source_scheme == "icse" and e.category == "csam"
        assert e.source_category in ("baseline", "non_baseline")
    bad = tmp_path / "bad.csv"
    bad.write_text("MD5;SHA1;Whatever\n1;2;3\n")
    with pytest.raises(FormatError, match="missing Image ID, Baseline"):
        read_all(bad, "icse")


# -- NSRL -----------------------------------------------------------------------------------


def test_nsrl_rdsv3_rows_are_known_good(tmp_path: Path) -> None:
    path = write_nsrl(tmp_path / "rds.db", 30, duplicates=5)
    assert detect(path) == "nsrl"
    got = rows(read_all(path))
    assert len(got) == 35
    assert {e.algorithm for e in got[0].entries} == {"sha256", "sha1", "md5"}
    assert all(
        e.category == "known_good" and e.source_scheme == "nsrl" for r in got for e in r.entries
    )


def test_nsrl_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = write_text(tmp_path / "fake.db", 3)
    with pytest.raises(FormatError, match="not an SQLite database") as info:
        read_all(path, "nsrl")
    assert str(path) in str(info.value)
    other = tmp_path / "other.db"
    import sqlite3

    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(FormatError, match="no FILE table"):
        read_all(other, "nsrl")


# -- every format -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_zero_byte_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match="empty") as info:
        read_all(path, fmt)
    assert str(path) in str(info.value)


def test_empty_detection(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match="0 bytes"):
        detect(path)
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n# nothing\n")
    with pytest.raises(FormatError, match="no hash lines"):
        read_all(blank, "text")


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "prose.txt"
    path.write_text("Dear colleague,\nplease find attached.\n")
    with pytest.raises(UnknownFormat, match="cannot detect"):
        detect(path)
    with pytest.raises(UnknownFormat, match="unknown hash-set format 'xml'"):
        get_format("xml")


@pytest.mark.parametrize("fmt", ["vics", "vics2", "icse", "text", "csv"])
def test_writers_round_trip_in_memory(tmp_path: Path, fmt: str) -> None:
    source = write_vics(tmp_path / "src.json", media_records(40, seed=9), "2.0")
    entries: list[Entry] = [e for r in rows(read_all(source)) for e in r.entries]
    if fmt == "icse":
        entries = [e for e in entries if e.algorithm in ("md5", "sha1", "photodna")]
    if fmt == "text":
        entries = [e for e in entries if e.algorithm == "md5"]
    out = io.StringIO()
    writer = get_format(fmt).write
    assert writer is not None
    assert writer(out, HashSetInfo("x"), entries) == len(entries)
    path = tmp_path / f"out.{fmt}"
    path.write_text(out.getvalue(), encoding="utf-8")
    again = [e for r in rows(read_all(path, fmt)) for e in r.entries]
    assert len(again) == len(entries)
    if fmt in ("vics", "vics2", "csv"):
        assert again == entries
        assert [e.metadata for e in again] == [e.metadata for e in entries]


def test_nsrl_full_flavour_where_file_is_a_view(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "full.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE METADATA (sha256, sha1, md5, file_name, extension, package_id)")
    conn.execute(
        "INSERT INTO METADATA VALUES (?, ?, ?, 'a.dll', 'dll', 7)", ("A" * 64, "B" * 40, "C" * 32)
    )
    conn.execute(
        "INSERT INTO METADATA VALUES (?, ?, ?, 'b.dll', 'dll', 7)", ("D" * 64, "E" * 39, "F" * 32)
    )
    conn.execute(
        "CREATE VIEW FILE AS SELECT sha256, sha1, md5, file_name, package_id FROM METADATA"
    )
    conn.commit()
    conn.close()
    items = read_all(path, "nsrl")
    (row,) = rows(items)
    assert {e.value for e in row.entries} == {"a" * 64, "b" * 40, "c" * 32}
    assert row.entries[0].source_id == "7"
    (err,) = errors(items)
    assert err.line == 2 and "FILE row 2" in err.reason and "sha1" in err.reason


def test_csv_quoted_field_across_lines_and_unterminated(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        f'algorithm,value,comment\nmd5,{MD5},"first\nsecond"\nsha1,{SHA1},ok\n'
        f'md5,{MD5},"never closed\n'
    )
    items = read_all(path, "csv")
    good = rows(items)
    assert [(r.line, r.entries[0].comment) for r in good] == [(2, "first\nsecond"), (4, "ok")]
    (err,) = errors(items)
    assert err.line == 5 and "unterminated quoted field" in err.reason


# -- PDQ and vPDQ in every writable format but ICSE ----------------------------------------------

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
VPDQ_VALUE = "0,100," + PDQ_HEX + ",0.000;10,87," + "0f" * 32 + ",1.000"
SHA256_HEX = "ab" * 32


def _perceptual_entries() -> list[Entry]:
    meta = {"file_name": "x.png", "pdq_quality": 100}
    return [
        Entry("sha256", SHA256_HEX, "comparison", "vics_us", "4", "1", metadata=meta),
        Entry("pdq", PDQ_HEX, "comparison", "vics_us", "4", "1", metadata=meta),
        Entry("vpdq", VPDQ_VALUE, "cgi", "vics_us", "3", "2"),
    ]


@pytest.mark.parametrize("fmt", ["vics", "vics2", "csv", "text"])
def test_pdq_and_vpdq_round_trip(tmp_path: Path, fmt: str) -> None:
    entries = _perceptual_entries()
    path = tmp_path / f"p.{fmt}"
    write = get_format(fmt).write
    assert write is not None
    with path.open("w", encoding="utf-8", newline="") as out:
        assert write(out, HashSetInfo("p"), entries) == 3
    assert detect(path) == fmt
    back = [e for r in rows(read_all(path)) for e in r.entries]
    assert [e.key() for e in back] == [e.key() for e in entries]
    if fmt != "text":  # text carries values only
        assert back == entries
    if fmt.startswith("vics"):
        (record_1, _) = json.loads(path.read_text())["value"]
        assert {"HashName": "PDQ", "HashValue": PDQ_HEX} in record_1["AlternativeHashes"]
        assert record_1["pdq_quality"] == 100 and back[1].metadata["pdq_quality"] == 100


def test_vics_reads_pdq_and_vpdq_from_alternative_hashes_any_case(tmp_path: Path) -> None:
    record = {
        "MediaID": 7,
        "Category": 1,
        "MD5": MD5,
        "AlternativeHashes": [
            {"HashName": "pdq", "HashValue": PDQ_HEX.upper()},
            {"HashName": "VPDQ", "HashValue": VPDQ_VALUE.upper().replace(";", "\n")},
            {"HashName": "SomethingElse", "HashValue": "kept"},
        ],
    }
    path = tmp_path / "v.json"
    path.write_text(doc("odata.metadata", V13, [record]))
    (row,) = rows(read_all(path))
    got = {e.algorithm: e.value for e in row.entries}
    assert got == {"md5": MD5.lower(), "pdq": PDQ_HEX, "vpdq": VPDQ_VALUE}
    assert row.entries[0].metadata["AlternativeHashes"] == [
        {"HashName": "SomethingElse", "HashValue": "kept"}
    ]


def test_vics_bad_pdq_is_a_row_error(tmp_path: Path) -> None:
    record = {
        "MediaID": 1,
        "MD5": MD5,
        "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "ab"}],
    }
    path = tmp_path / "v.json"
    path.write_text(doc("odata.metadata", V13, [record]))
    (err,) = errors(read_all(path))
    assert "PDQ" in err.reason and "64 hex digits" in err.reason


def test_text_64_hex_is_sha256_unless_asked_or_declared(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text(f"{PDQ_HEX}\n")
    assert [e.algorithm for r in rows(read_all(path)) for e in r.entries] == ["sha256"]
    assert [e.algorithm for r in rows(read_all(path, algorithm="pdq")) for e in r.entries] == [
        "pdq"
    ]
    path.write_text(f"# algorithm: pdq\n{PDQ_HEX}\n# algorithm: auto\n{SHA256_HEX}\n{VPDQ_VALUE}\n")
    got = [(e.algorithm, r.line) for r in rows(read_all(path)) for e in r.entries]
    assert got == [("pdq", 2), ("sha256", 4), ("vpdq", 5)]
    path.write_text(f"# algorithm: crc99\n{PDQ_HEX}\n")
    with pytest.raises(FormatError, match=r"crc99.*:1|:1.*crc99"):
        read_all(path, "text")


def test_text_bad_vpdq_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text(f"{VPDQ_VALUE}\n0,100,zz,0.0\n")
    items = read_all(path, "text")
    assert len(rows(items)) == 1
    (err,) = errors(items)
    assert err.line == 2 and "vpdq" in err.reason
