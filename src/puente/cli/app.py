"""Root command: registers each area's commands and maps PuenteError to exit codes.

One clear line per error on stderr; exit codes come from the error class (errors.py).
Each area's commands pull in its libraries (SQLAlchemy, NumPy, PDF and chart stacks), so
``main`` loads only the area that owns the command being run; help, typos and the ``app``
attribute get every area.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from puente import __version__
from puente.cli.common import err_console
from puente.errors import PuenteError

AREAS = ("db", "hashsets", "triage", "legal", "cooperation", "capacity", "demo")
# Top-level command -> the cli modules that define it (tests/cli/test_app.py keeps it whole).
OWNERS: dict[str, tuple[str, ...]] = {
    "db": ("db",),
    "hashsets": ("hashsets",),
    "case": ("triage", "cooperation"),  # cooperation adds `case checklist`
    "evidence": ("triage",),
    "custody": ("triage",),
    "scan": ("triage",),
    "results": ("triage",),
    "export": ("triage",),
    "report": ("triage",),
    "legal": ("legal",),
    "gaps": ("legal",),
    "request": ("cooperation",),
    "procedure": ("cooperation",),
    "capacity": ("capacity",),
    "conclusions": ("capacity",),
    "demo": ("demo",),
    "--version": (),
}


def build_app(command: str | None = None) -> typer.Typer:
    """The root app with the areas that define ``command`` (all of them for None)."""
    root = typer.Typer(
        name="puente",
        help="Puente: hashes-only triage, hash-set library, legal knowledge base and cooperation.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    root.callback()(_root)
    for area in OWNERS.get(command or "", AREAS):
        importlib.import_module(f"puente.cli.{area}").register(root)
    return root


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(name)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"puente {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Puente command line."""


def main() -> None:
    # Start-up creates only long-lived objects (modules, classes, tables): collecting them
    # is wasted work (~0.1 s). Collect again once they are built, and never scan them.
    gc.disable()
    try:
        command = sys.argv[1] if len(sys.argv) > 1 else None
        app = build_app(command)
        gc.freeze()
        gc.enable()
        app(standalone_mode=False)
    except PuenteError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except SQLAlchemyError as exc:
        err_console.print(f"[bold red]database error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(8)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        # Usage errors from Typer's bundled click arrive here in non-standalone mode;
        # they carry show() and exit_code (2), whichever click module raised them.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
    finally:  # main() also runs in-process (tests, tools): leave the collector as found
        gc.unfreeze()
        gc.enable()
