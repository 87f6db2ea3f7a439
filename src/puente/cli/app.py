"""Root command: registers each area's commands and maps PuenteError to exit codes.

One clear line per error on stderr; exit codes come from the error class (errors.py).
"""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import SQLAlchemyError

from puente import __version__
from puente.cli import capacity, cooperation, db, demo, hashsets, legal, triage
from puente.cli.common import err_console
from puente.errors import PuenteError

app = typer.Typer(
    name="puente",
    help="Puente: hashes-only triage, hash-set library, legal knowledge base and cooperation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for module in (db, hashsets, triage, legal, cooperation, capacity, demo):
    module.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"puente {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Puente command line."""


def main() -> None:
    try:
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
