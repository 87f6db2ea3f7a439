"""A streaming reader for one large JSON object whose ``value`` array holds many records.

The standard library decodes each record (``JSONDecoder.raw_decode``) from a sliding text
buffer, so memory stays bounded by the largest record, not the file. Errors name the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from puente.errors import FormatError
from puente.hashsets.formats.base import Progress

CHUNK = 1 << 20
# Where a decode error lies this far before the end of the buffered text, more input cannot
# fix it: the JSON is malformed there (not merely cut by the buffer).
SLACK = 1 << 20
MAX_RECORD = 256 << 20
_WS = re.compile(r"[ \t\r\n]*")
_COMMA = re.compile(r"[ \t\r\n]*,[ \t\r\n]*")


class JsonStream:
    def __init__(
        self, fh: IO[str], source: str, chunk: int = CHUNK, progress: Progress | None = None
    ) -> None:
        self.fh = fh
        self.progress = progress
        self.source = source
        self.chunk = chunk
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._decoder = json.JSONDecoder()
        self._line_index = 0  # buffer index whose line number is known
        self._line = 1

    # -- buffer ------------------------------------------------------------------------
    def _fill(self) -> bool:
        if self.eof:
            return False
        if self.pos > len(self.buf) // 2:
            self.line()  # bring the line checkpoint up to pos before dropping text
            self.buf = self.buf[self.pos :]
            self._line_index -= self.pos
            self.pos = 0
        try:
            more = self.fh.read(self.chunk)
        except UnicodeDecodeError as exc:
            raise FormatError(
                self.source, f"not valid UTF-8 near line {self.line()}: {exc.reason}"
            ) from exc
        if self.progress is not None:
            raw = getattr(self.fh, "buffer", None)
            if raw is not None:
                self.progress.done = raw.tell()
        if not more:
            self.eof = True
            return False
        self.buf += more
        return True

    def line(self, index: int | None = None) -> int:
        index = self.pos if index is None else index
        if index >= self._line_index:
            self._line += self.buf.count("\n", self._line_index, index)
            self._line_index = index
            return self._line
        return self._line - self.buf.count("\n", index, self._line_index)

    def error(self, problem: str, index: int | None = None) -> FormatError:
        return FormatError(self.source, problem, self.line(index))

    # -- tokens ------------------------------------------------------------------------
    def skip_ws(self) -> None:
        while True:
            m = _WS.match(self.buf, self.pos)
            self.pos = m.end() if m else self.pos
            if self.pos < len(self.buf) or not self._fill():
                return

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, char: str, what: str) -> None:
        got = self.peek()
        if got != char:
            shown = repr(got) if got else "end of file"
            raise self.error(f"expected {char!r} {what}, found {shown}")
        self.pos += 1

    def value(self) -> Any:
        self.skip_ws()
        return self._value()

    def _value(self) -> Any:
        """Decode the value starting exactly at ``pos`` (whitespace already skipped)."""
        while True:
            try:
                obj, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    if exc.pos >= len(self.buf) - 1 or "Unterminated" in exc.msg:
                        raise self.error(
                            f"file ends inside a JSON value (truncated?): {exc.msg}", exc.pos
                        ) from exc
                    raise self.error(f"malformed JSON: {exc.msg}", exc.pos) from exc
                if exc.pos < len(self.buf) - SLACK:
                    raise self.error(f"malformed JSON: {exc.msg}", exc.pos) from exc
                if len(self.buf) - self.pos > MAX_RECORD:
                    raise self.error(
                        f"a JSON record is larger than {MAX_RECORD >> 20} MiB", self.pos
                    ) from exc
                self._fill()
                continue
            # A number cut by the buffer end decodes as a shorter number: read on to be sure.
            if end >= len(self.buf) and not self.eof and self._fill():
                continue
            self.pos = end
            return obj

    def at_end(self) -> bool:
        return self.peek() == ""

    # -- the document shape -------------------------------------------------------------
    def members(self) -> Iterator[tuple[str, int]]:
        """Top-level keys of the object, positioned on each key's value (the caller reads it)."""
        self.expect("{", "at the start of the JSON document")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self.error("expected a quoted key in the top-level object")
            key = self.value()
            self.expect(":", f"after key {key!r}")
            yield key, self.line()
            nxt = self.peek()
            if nxt == ",":
                self.pos += 1
                continue
            if nxt == "}":
                self.pos += 1
                return
            shown = repr(nxt) if nxt else "end of file (truncated?)"
            raise self.error(f"expected ',' or '}}' after the value of {key!r}, found {shown}")

    def array_items(self, key: str) -> Iterator[tuple[int, Any]]:
        """(line, item) for each element of the array at the current position."""
        self.expect("[", f"to open the {key!r} array")
        if self.peek() == "]":
            self.pos += 1
            return
        decode = self._decoder.raw_decode
        while True:
            self.skip_ws()
            line = self.line()
            yield line, self._value()
            # The elements that lie whole in the buffer are decoded in a tight loop; the
            # careful path below takes over at the buffer's end, the array's end or an error.
            buf = self.buf
            size = len(buf)
            while (m := _COMMA.match(buf, self.pos)) is not None:
                start = m.end()
                try:
                    obj, end = decode(buf, start)
                except json.JSONDecodeError:
                    break
                if end >= size and not self.eof:
                    break  # a number cut by the buffer's end would decode short
                self.pos = start
                line = self.line()
                self.pos = end
                yield line, obj
            nxt = self.peek()
            if nxt == ",":
                self.pos += 1
                continue
            if nxt == "]":
                self.pos += 1
                return
            shown = repr(nxt) if nxt else "end of file (truncated?)"
            raise self.error(f"expected ',' or ']' in the {key!r} array, found {shown}")
