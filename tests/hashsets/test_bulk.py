"""Bulk reading (ReadOptions.bulk): the same entries, lines and errors as row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puente.hashsets.formats import ReadOptions, get_format
from puente.hashsets.formats.base import BOM, MAX_LINE, block_lines, iter_blocks
from puente.hashsets.model import Bulk, Row, RowError

V20 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"


def hexes(n: int, width: int = 32, seed: int = 0) -> list[str]:
    return [f"{(seed * 7919 + i) * 2654435761 % (1 << (4 * width)):0{width}x}" for i in range(n)]


def flat(items: list[Row | RowError | Bulk]) -> tuple[list[tuple[object, ...]], list[str]]:
    """(sorted (line, entry fields), errors in order), Bulks expanded."""
    entries: list[tuple[object, ...]] = []
    problems: list[str] = []
    for item in items:
        if isinstance(item, RowError):
            problems.append(str(item))
            continue
        for row in item.as_rows() if isinstance(item, Bulk) else [item]:
            entries.extend(
                (
                    row.line,
                    e.algorithm,
                    e.value,
                    e.category,
                    e.source_scheme,
                    e.source_category,
                    e.source_id,
                    json.dumps(dict(e.metadata), sort_keys=True),
                )
                for e in row.entries
            )
    return sorted(entries), problems


def both(path: Path, fmt: str, **opts: object) -> tuple[list[object], list[object]]:
    reader = get_format(fmt).read
    rows = list(reader(path, ReadOptions(**opts)))  # type: ignore[arg-type]
    bulk = list(reader(path, ReadOptions(bulk=True, **opts)))  # type: ignore[arg-type]
    assert not any(isinstance(i, Bulk) for i in rows)
    return rows, bulk


def test_text_blocks_equal_rows(tmp_path: Path) -> None:
    lines = [v.upper() if i % 3 == 0 else v for i, v in enumerate(hexes(40_000))]
    lines[35_000:35_003] = ["# algorithm: auto", "", "not-a-hash"]  # this block: line by line
    lines.append(hexes(1, 40)[0])  # another length at the end
    path = tmp_path / "list.txt"
    path.write_bytes(BOM + ("\n".join(lines) + "\n").encode())
    rows, bulk = both(path, "text")
    assert any(isinstance(i, Bulk) for i in bulk)
    assert flat(bulk) == flat(rows)
    assert flat(rows)[1] == [
        f"{path}:35003: not a hash: expected 32, 40 or 64 hex digits, "
        "got 10 characters: 'not-a-hash'"
    ]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_text_blocks_crlf_forced_algorithm_and_no_final_newline(tmp_path: Path, eol: str) -> None:
    path = tmp_path / "pdq.txt"
    path.write_text(eol.join(hexes(17_000, 64)), newline="")
    rows, bulk = both(path, "text", algorithm="pdq", category="csam")
    assert {e[1] for e in flat(bulk)[0]} == {"pdq"}
    assert flat(bulk) == flat(rows)
    rows, bulk = both(path, "text")  # by length: sha256
    assert {e[1] for e in flat(bulk)[0]} == {"sha256"}
    assert flat(bulk) == flat(rows)


def test_text_directive_before_a_block_applies_to_it(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("# algorithm: pdq\n" + "\n".join(hexes(17_000, 64)) + "\n")
    rows, bulk = both(path, "text")
    assert {e[1] for e in flat(bulk)[0]} == {"pdq"}
    assert flat(bulk) == flat(rows)


def vics(path: Path, records: list[object]) -> Path:
    path.write_text(json.dumps({"@odata.context": V20, "value": records}, indent=1))
    return path


def test_vics_lean_runs_equal_rows(tmp_path: Path) -> None:
    values = hexes(9_000)
    records: list[object] = []
    for i, value in enumerate(values):
        record: dict[str, object] = {"MediaID": i, "Category": [None, 1, "2 ", 1][i // 2000 % 4]}
        record["MD5"] = value.upper()
        if i % 5 == 0:
            record["SHA1"] = hexes(1, 40, seed=i)[0]
        if i % 997 == 0:
            record["IsDistributed"] = "true"  # a rich record: read by media_entries
        if i % 1499 == 0:
            record["MD5"] = "xyz"  # a bad one: the same error either way
        if i == 4321:
            record["Category"] = 9  # unknown in vics_us
        records.append(record)
    records.append({"MediaID": "x", "Category": 0})  # no hash
    path = vics(tmp_path / "v.json", records)
    rows, bulk = both(path, "vics2")
    assert sum(isinstance(i, Bulk) for i in bulk) > 4
    assert flat(bulk) == flat(rows)
    assert len(flat(rows)[1]) == 9  # 7 bad MD5s, the unknown category, the record without hash
    assert sum(i.row_count for i in bulk if isinstance(i, Bulk)) + sum(
        1 for i in bulk if not isinstance(i, Bulk)
    ) == len(records)


def _reference_lines(data: bytes, max_line: int) -> list[tuple[int, str | None, int]]:
    """What iter_lines gave when it read with readline (before blocks)."""
    import io

    out: list[tuple[int, str | None, int]] = []
    fh = io.BytesIO(data)
    number = 0
    while raw := fh.readline(max_line + 1):
        number += 1
        if number == 1 and raw.startswith(BOM):
            raw = raw[3:]
        length = len(raw)
        if length > max_line and not raw.endswith(b"\n"):
            while (more := fh.readline(1 << 20)) and not more.endswith(b"\n"):
                length += len(more)
            length += len(more)
            out.append((number, None, length))
            continue
        try:
            out.append((number, raw.decode("utf-8").rstrip("\r\n"), length))
        except UnicodeDecodeError:
            out.append((number, None, -1))
    return out


@pytest.mark.parametrize("block", [48, 64, 1 << 20])
def test_blocks_give_the_lines_readline_gave(tmp_path: Path, block: int) -> None:
    max_line = 40
    data = (
        BOM
        + b"first\r\n"
        + b"x" * 40
        + b"\n"
        + b"y" * 41
        + b"\n\n"
        + b"z" * 300
        + b"\n\xff\xfe bad utf-8\nlast without newline"
    )
    path = tmp_path / "lines.txt"
    path.write_bytes(data)
    got = [
        line
        for number, chunk in iter_blocks(path, block)
        for line in (
            [(number, None, chunk)]
            if isinstance(chunk, int)
            else block_lines(number, chunk, max_line)
        )
    ]
    expected = _reference_lines(data, max_line)
    # A line longer than a block is measured without its bytes: same length either way.
    assert got == expected
    assert MAX_LINE == 64 * 1024


def test_vics_value_with_a_line_break_is_not_split_into_two(tmp_path: Path) -> None:
    a, b = hexes(2)
    records = [{"MediaID": i, "Category": 1, "MD5": v} for i, v in enumerate(hexes(50, seed=3))]
    records[10]["MD5"] = f"{a}\n{b}"  # one (bad) value that would join into two good lines
    path = vics(tmp_path / "nl.json", records)
    rows, bulk = both(path, "vics2")
    assert flat(bulk) == flat(rows)
    assert len(flat(bulk)[0]) == 49
    assert len(flat(bulk)[1]) == 1


def test_text_block_of_uneven_lines_that_fill_the_stride_is_read_line_by_line(
    tmp_path: Path,
) -> None:
    good = hexes(3)
    # 10 + 21 characters and two line ends: 33 bytes, a newline where a 32-hex line ends
    path = tmp_path / "uneven.txt"
    path.write_text("\n".join([good[0], "a" * 10, "b" * 21, good[1]]) + "\n")
    rows, bulk = both(path, "text")
    assert flat(bulk) == flat(rows)
    assert len(flat(bulk)[0]) == 2 and len(flat(bulk)[1]) == 2


def test_vics_records_with_two_hashes_stay_whole(tmp_path: Path) -> None:
    """A record's MD5 and SHA1 must not be split into two Bulks (a batch edge could fall
    between them, and repeats would be noted out of file order)."""
    md5s, sha1s = hexes(20), hexes(20, 40, seed=5)
    records = [{"MediaID": i, "Category": 1, "MD5": md5s[i], "SHA1": sha1s[i]} for i in range(20)]
    path = vics(tmp_path / "two.json", records)
    rows, bulk = both(path, "vics2")
    assert flat(bulk) == flat(rows)
    assert not any(isinstance(i, Bulk) for i in bulk)
