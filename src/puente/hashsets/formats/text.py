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
from puente.hashing.base import HashAlgorithm
from puente.hashing.registry import algorithm_for_hex_length, get_algorithm
from puente.hashsets.formats.base import (
    Format,
    Item,
    ReadOptions,
    check_not_empty,
    iter_lines,
    long_or_undecodable,
)
from puente.hashsets.model import CATEGORIES, Entry, HashSetInfo, Row, RowError

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
    for number, text, length in iter_lines(path, progress=options.progress):
        if text is None:
            yield long_or_undecodable(source, number, length)
            continue
        line = text.strip()
        if line.startswith("#") and (m := DIRECTIVE.fullmatch(line)):
            name = m["name"].lower()
            try:
                declared = None if name == "auto" else get_algorithm(name)
            except UnknownAlgorithm as exc:
                raise FormatError(source, str(exc), number) from None
            continue
        if not line or line.startswith("#"):
            continue
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
            yield RowError(source, number, str(exc))
            continue
        found = True
        yield Row(number, (Entry(algo.name, value, category, "puente", None),))
    if not found and first:
        raise FormatError(source, "no hash lines found (only blank lines or comments)")


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
