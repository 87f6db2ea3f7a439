"""Property: what a writer writes, its reader reads back identically (random entries)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from puente.hashsets.formats import ReadOptions, get_format
from puente.hashsets.model import CATEGORIES, Entry, HashSetInfo, Row

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
meta = st.dictionaries(st.sampled_from(["Series", "Comments", "MimeType", "x-ñ"]), text, max_size=3)


def hexes(digits: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=digits, max_size=digits)


@st.composite
def vpdq_values(draw: st.DrawFn) -> str:
    """A stored vPDQ value: Meta's frame,quality,hash,timestamp lines joined with ';'."""
    lines = [
        f"{frame},{draw(st.integers(0, 100))},{draw(hexes(64))},{frame / 30:.3f}"
        for frame in sorted(draw(st.sets(st.integers(0, 10_000), min_size=1, max_size=4)))
    ]
    return ";".join(lines)


@st.composite
def records(draw: st.DrawFn) -> list[Entry]:
    entries: list[Entry] = []
    for i in range(draw(st.integers(1, 8))):
        code = draw(st.sampled_from(["0", "1", "2", "3", "4", None]))
        category = {
            None: "uncategorised",
            "0": "non_pertinent",
            "1": "csam",
            "2": "exploitive",
            "3": "cgi",
            "4": "comparison",
        }[code]
        metadata = draw(meta)
        for algorithm, digits in draw(
            st.lists(
                st.sampled_from(
                    [("md5", 32), ("sha1", 40), ("sha256", 64), ("pdq", 64), ("vpdq", 0)]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            )
        ):
            value = draw(vpdq_values() if algorithm == "vpdq" else hexes(digits))
            entries.append(
                Entry(algorithm, value, category, "vics_us", code, str(i + 1), metadata=metadata)
            )
    return entries


def read_back(fmt: str, written: str) -> list[Entry]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x"
        path.write_text(written, encoding="utf-8")
        items = list(get_format(fmt).read(path, ReadOptions()))
    assert all(isinstance(i, Row) for i in items), items
    return [e for i in items if isinstance(i, Row) for e in i.entries]


@settings(max_examples=40, deadline=None)
@given(records())
def test_vics2_round_trip(entries: list[Entry]) -> None:
    out = io.StringIO()
    write = get_format("vics2").write
    assert write is not None
    write(out, HashSetInfo("p"), entries)
    back = read_back("vics2", out.getvalue())
    assert sorted(back, key=Entry.key) == sorted(entries, key=Entry.key)
    assert {e.key(): dict(e.metadata) for e in back} == {e.key(): dict(e.metadata) for e in entries}


@settings(max_examples=40, deadline=None)
@given(records(), st.lists(st.tuples(st.sampled_from(CATEGORIES), text), min_size=1))
def test_csv_round_trip(entries: list[Entry], extras: list[tuple[str, str]]) -> None:
    mixed = [
        Entry(
            e.algorithm,
            e.value,
            cat,
            "puente",
            None,
            e.source_id,
            3,
            "2026-01-01",
            comment,
            metadata=e.metadata,
        )
        for e, (cat, comment) in zip(entries, extras * len(entries), strict=False)
    ]
    out = io.StringIO()
    write = get_format("csv").write
    assert write is not None
    write(out, HashSetInfo("p"), mixed)
    back = read_back("csv", out.getvalue())
    expected = [
        Entry(
            e.algorithm,
            e.value,
            e.category,
            e.source_scheme,
            e.source_category,
            e.source_id,
            e.confirmations,
            e.first_seen,
            _clean(e.comment),
        )
        for e in mixed
    ]
    assert back == expected
    assert [dict(e.metadata) for e in back] == [dict(e.metadata) for e in mixed]


def _clean(comment: str | None) -> str | None:
    """What the CSV round trip keeps of a comment: \\n line breaks, no outer blanks."""
    text = (comment or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


@settings(max_examples=40, deadline=None)
@given(records())
def test_text_round_trip_keeps_algorithms(entries: list[Entry]) -> None:
    """Text carries values only, yet pdq stays pdq (directive lines), not a guessed sha256."""
    out = io.StringIO()
    write = get_format("text").write
    assert write is not None
    write(out, HashSetInfo("p"), entries)
    back = read_back("text", out.getvalue())
    assert [e.key() for e in back] == [e.key() for e in entries]
