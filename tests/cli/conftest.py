"""The CLI tests' harness: the real entry point run in-process, exit codes included."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from puente.cli import app as cli_app


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["puente", *args])
        capsys.readouterr()
        code = 0
        try:
            cli_app.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
