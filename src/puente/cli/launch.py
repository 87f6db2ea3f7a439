"""The `puente` process: what happens before the command runs and after it returns.

Start-up and exit are part of every command's time (a scan of 2 GB takes ~5 s, of which
~0.5 s is importing Typer, pydantic and SQLAlchemy). Two costs here are avoidable:

- the cyclic garbage collector, run again and again while the imports build ~300,000
  long-lived objects (modules, classes, tables): ~0.1 s. It is off until the command's
  modules are loaded (cli.app.main() freezes them and turns it back on);
- tearing the interpreter down at exit, module by module: ~0.15 s, after the command's
  work is done. Once the exit handlers have run, the database connections are closed and
  the output is flushed, the process exits without it.

Only the console script and ``python -m puente`` come through here; ``cli.app.main()``
also runs in-process (tests, tools), where the interpreter must of course go on.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn


def run() -> NoReturn:
    """Run the command in ``sys.argv`` and exit with its status."""
    gc.disable()
    from puente.cli.app import main

    try:
        main()
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def _exit(code: str | int | None) -> NoReturn:
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not isinstance(code, int) or any(t.is_alive() and not t.daemon for t in others):
        # A message for sys.exit(), or threads the interpreter would wait for: the usual way.
        sys.exit(code)
    _close_database()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            # Output closed early (``puente results | head``): what Python itself reports.
            code = code or 120
    os._exit(code)


def _close_database() -> None:
    db = sys.modules.get("puente.store.db")  # not imported: no engine to close
    if db is not None:
        db.dispose_engines()
