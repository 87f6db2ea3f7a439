"""The one exception tree of Puente.

Core modules raise these; only the edges (CLI, later web) translate them into exit
codes or HTTP statuses. Nothing here knows about either.

    PuenteError                      exit 1 unless a subclass says otherwise
    ├── InputError                   exit 2: the user's input is wrong
    │   ├── InvalidHash              a hash value that is not valid for its algorithm
    │   ├── UnknownAlgorithm
    │   ├── UnknownFormat            format name unknown or auto-detection failed
    │   ├── FormatError              a file in a known format is malformed (file:line)
    │   ├── ValidationError          a document/request/pack fails validation (many problems)
    │   └── UnknownCountry
    ├── NotFound                     exit 3: a named object does not exist
    ├── Conflict                     exit 4: it exists already / state does not allow it
    ├── IntegrityError               exit 5: evidence or custody-log verification failed
    ├── EvidenceError                exit 6: evidence cannot be read at all
    ├── LimitExceeded                a configured safety limit was hit (recorded, not fatal)
    ├── LegalBasisMissing            exit 7: no legal basis / channel for the request
    └── StoreError                   exit 8: database unavailable or schema out of date
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PuenteError(Exception):
    """Base of every error Puente raises on purpose."""

    exit_code = 1


class InputError(PuenteError):
    exit_code = 2


class InvalidHash(InputError):
    pass


class UnknownAlgorithm(InputError):
    pass


class UnknownFormat(InputError):
    pass


class FormatError(InputError):
    """A file in a known format is malformed; names the file and, where known, the line."""

    def __init__(self, source: str, problem: str, line: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Problem:
    """One validation finding: where (file, key, sheet!cell, field), what, and how to fix it."""

    where: str
    what: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}"
        return f"{text} ({self.fix})" if self.fix else text


class ValidationError(InputError):
    """Input failed validation; carries every problem found, not only the first."""

    def __init__(self, subject: str, problems: Sequence[Problem]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{subject}: {len(self.problems)} problem(s): {lines}")


class UnknownCountry(InputError):
    pass


class NotFound(PuenteError):
    exit_code = 3


class Conflict(PuenteError):
    exit_code = 4


class IntegrityError(PuenteError):
    exit_code = 5


class EvidenceError(PuenteError):
    exit_code = 6


class DecoderCrashed(EvidenceError):
    """The isolated decoder process died on a file (signal, exit) and was restarted."""

    def __init__(self, location: str, cause: str) -> None:
        self.location = location
        self.cause = cause
        super().__init__(f"{location}: decoder process crashed ({cause}); worker restarted")


class LimitExceeded(PuenteError):
    """A safety limit (archive depth, size, ratio, pixels…) was hit at a location."""

    def __init__(self, location: str, limit: str, detail: str = "") -> None:
        self.location = location
        self.limit = limit
        self.detail = detail
        super().__init__(f"{location}: limit {limit} exceeded{': ' + detail if detail else ''}")


class LegalBasisMissing(PuenteError):
    exit_code = 7


class StoreError(PuenteError):
    exit_code = 8
