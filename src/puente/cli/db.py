"""``puente db``: schema migrations and where the data lives."""

from __future__ import annotations

import typer

from puente.cli.common import console, print_json, settings
from puente.store.db import make_engine, upgrade

db_app = typer.Typer(help="Database schema and location.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest revision."""
    engine = make_engine(settings().effective_database_url)
    heads = upgrade(engine)
    console.print(f"database {engine.url!r} at revision(s) {', '.join(heads)}")


@db_app.command("info")
def db_info(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show the data directory and database URL in use."""
    s = settings()
    info = {"home": str(s.home), "database_url": s.effective_database_url}
    if as_json:
        print_json(info)
    else:
        for key, value in info.items():
            console.print(f"{key}: {value}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
