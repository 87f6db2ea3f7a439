"""The process around a command: exit status, flushed output, closed database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_app import run_cli


def test_output_is_complete_and_the_database_closed(puente_home: Path) -> None:
    assert run_cli("db", "upgrade").returncode == 0  # an engine of its own
    assert sorted(p.name for p in puente_home.glob("puente.db*")) == ["puente.db"]
    created = run_cli("case", "create", "Launch", "--country", "AR", "--agency", "Fiscalía")
    assert created.returncode == 0, created.stderr
    listed = run_cli("case", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    # stdout is a pipe here (block-buffered): all of it arrived
    assert [case["title"] for case in json.loads(listed.stdout)] == ["Launch"]
    # the connections were closed as teardown closes them: SQLite removed its write-ahead log
    assert sorted(p.name for p in puente_home.glob("puente.db*")) == ["puente.db"]


def test_error_status_and_message(puente_home: Path) -> None:
    out = run_cli("case", "show", "99")
    assert out.returncode == 3
    assert "case 99 does not exist" in out.stderr


def test_threads_still_running_are_waited_for(tmp_path: Path) -> None:
    # Fast exit skips what the interpreter would do at the end: never while a thread that
    # it would wait for is still working.
    done = tmp_path / "done"
    script = f"""
import threading, time
from pathlib import Path
from puente.cli.launch import _exit
def work():
    time.sleep(0.3)
    Path({str(done)!r}).write_text("yes")
threading.Thread(target=work).start()
_exit(4)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert out.returncode == 4
    assert done.read_text() == "yes"


def test_exit_handlers_run(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    script = f"""
import atexit
from pathlib import Path
from puente.cli.launch import _exit
atexit.register(lambda: Path({str(marker)!r}).write_text("ran"))
print("buffered", end="")
_exit(0)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout == "buffered"
    assert marker.read_text() == "ran"
