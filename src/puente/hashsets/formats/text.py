"""Plain text: one hash per line (md5sum-style "hash  name" lines are accepted; # comments).

The algorithm comes from the value's length (32 md5, 40 sha1, 64 sha256) unless forced,
e.g. ``algorithm="pdq"`` for a list of PDQ hashes: a bare 64-hex line is never guessed to be
PDQ. A vPDQ value (Meta's ``frame,quality,hash,timestamp`` lines joined with ``;``) has an
unambiguous shape and is recognised as such.

A directive comment ``# algorithm: NAME`` sets the algorithm of the lines after it (``#
algorithm: auto`` goes back to detection); the writer emits one before every run of values
that detection would not name (pdq, photodna), so that text export → import keeps them.
An explicit ``algorithm`` option overrides the directives. Text carries no category: the
import gives one (default uncategorised).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from puente.errors import FormatError, InvalidHash, UnknownAlgorithm
from puente.hashing.base import HashAlgorithm, HexDigest
from puente.hashing.registry import algorithm_for_hex_length, get_algorithm
from puente.hashsets.formats.base import (
    Format,
    Item,
    ReadOptions,
    block_lines,
    check_not_empty,
    iter_blocks,
    long_or_undecodable,
)
from puente.hashsets.model import CATEGORIES, Bulk, Entry, HashSetInfo, Row, RowError

NAME = "text"
# "# algorithm: pdq" — the algorithm of the following lines ("auto": by length again)
DIRECTIVE = re.compile(r"#\s*algorithm\s*:\s*(?P<name>[A-Za-z0-9_]+)\s*$")
_DETECTED = frozenset({"md5", "sha1", "sha256", "vpdq"})  # what detection names by itself


def looks_like(head: bytes) -> bool:
    for raw in head.splitlines()[:5]:
        line = raw.strip()
        if DIRECTIVE.fullmatch(line.decode("ascii", "replace")):
            return True  # a Puente text export
        if not line or line.startswith(b"#"):
            continue
        token = line.split()[0]
        return len(token) in (32, 40, 64) and all(c in b"0123456789abcdefABCDEF" for c in token)
    return False


def read(path: Path, options: ReadOptions) -> Iterator[Item]:
    check_not_empty(path)
    source = str(path)
    if options.category not in CATEGORIES:
        raise FormatError(source, f"unknown category {options.category!r}")
    forced = get_algorithm(options.algorithm) if options.algorithm else None
    declared: HashAlgorithm | None = None  # from a "# algorithm:" directive
    vpdq = get_algorithm("vpdq")
    by_length = {n: get_algorithm(a) for n in (32, 40, 64) if (a := algorithm_for_hex_length(n))}
    category = options.category
    found = False
    first = True

    def parse(number: int, text: str) -> Item | None:
        nonlocal declared, found, first
        line = text.strip()
        if line.startswith("#") and (m := DIRECTIVE.fullmatch(line)):
            name = m["name"].lower()
            try:
                declared = None if name == "auto" else get_algorithm(name)
            except UnknownAlgorithm as exc:
                raise FormatError(source, str(exc), number) from None
            return None
        if not line or line.startswith("#"):
            return None
        if first:
            first = False
            if line[0] in "{[":
                raise FormatError(
                    source, "looks like JSON, not a text hash list (--format vics?)", 1
                )
            if line.startswith("SQLite format 3"):
                raise FormatError(source, "is an SQLite database, not a text hash list", 1)
        token = line.split(None, 1)[0]
        try:
            if forced is not None:
                algo = forced
            elif declared is not None:
                algo = declared
            elif "," in token:
                algo = vpdq  # frame,quality,hash,timestamp[;…]: no other algorithm has commas
            else:
                found_algo = by_length.get(len(token))
                if found_algo is None:
                    raise InvalidHash(
                        f"not a hash: expected 32, 40 or 64 hex digits, got {len(token)} "
                        f"characters: {token[:40]!r}"
                    )
                algo = found_algo
            value = algo.normalise(token)
        except (InvalidHash, UnknownAlgorithm) as exc:
            return RowError(source, number, str(exc))
        found = True
        return Row(number, (Entry(algo.name, value, category, "puente", None),))

    for number, data in iter_blocks(path, progress=options.progress):
        if isinstance(data, int):
            yield long_or_undecodable(source, number, data)
            continue
        if options.bulk:
            algo = forced or declared
            values = _hex_block(data, by_length if algo is None else None, algo)
            if values is not None:
                algo_name, hexes = values
                first = False
                found = True
                template = Entry(algo_name, "", category, "puente", None)
                yield Bulk(template, hexes, range(number, number + len(hexes)))
                continue
        for line_number, text, length in block_lines(number, data):
            if text is None:
                yield long_or_undecodable(source, line_number, length)
                continue
            item = parse(line_number, text)
            if item is not None:
                yield item
    if not found and first:
        raise FormatError(source, "no hash lines found (only blank lines or comments)")


_HEX_AND_EOL = b"0123456789abcdefABCDEF\r\n"


def _hex_block(
    data: bytes, by_length: dict[int, HashAlgorithm] | None, algo: HashAlgorithm | None
) -> tuple[str, list[str]] | None:
    """(algorithm, lowercase values) when every line of ``data`` is one bare hex value of the
    same length (LF or CRLF, each line ended), else None: the block is read line by line.

    ``by_length`` picks the algorithm from the length (no directive, nothing forced);
    otherwise ``algo`` must be a hex digest of that length.
    """
    eol = data.find(b"\n")
    if eol <= 0 or not data.endswith(b"\n"):
        return None
    crlf = data[eol - 1] == 0x0D
    width = eol - crlf
    if by_length is not None:
        chosen = by_length.get(width)
    else:
        chosen = algo if isinstance(algo, HexDigest) and algo.hex_length == width else None
    if chosen is None:
        return None
    stride = width + 1 + crlf
    count = len(data) // stride
    # Every byte is hex or an end of line, the ends of line sit exactly every stride, and
    # there are no others (a short line and a long one could fill a stride together).
    if count * stride != len(data) or data.translate(None, _HEX_AND_EOL):
        return None
    if data.count(b"\n") != count or data[stride - 1 :: stride].count(b"\n") != count:
        return None
    if data.count(b"\r") != (count if crlf else 0):
        return None
    if crlf and data[stride - 2 :: stride].count(b"\r") != count:
        return None
    return chosen.name, data.lower().decode("ascii").split()


def write(out: IO[str], info: HashSetInfo, entries: Iterable[Entry]) -> int:
    count = 0
    current = "auto"
    for entry in entries:
        wanted = "auto" if entry.algorithm in _DETECTED else entry.algorithm
        if wanted != current:
            out.write(f"# algorithm: {wanted}\n")
            current = wanted
        out.write(entry.value)
        out.write("\n")
        count += 1
    return count


FORMAT = Format(NAME, "plain text, one hash per line", read, write, ".txt")
