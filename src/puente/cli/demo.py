"""``puente demo``: the triage demo (what ``make run`` runs) and the hash-set round trip.

``puente demo`` generates benign evidence, imports a demo hash set, scans, and writes the
report; ``puente demo hashsets`` shows a set built from generated images going out as VICS
and back in.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from puente.cli import triage
from puente.cli.common import console, engine, print_json, print_table
from puente.flows.demo_hashsets import run_demo

demo_app = typer.Typer(help="Demos on benign generated data.")


@demo_app.callback(invoke_without_command=True)
def triage_demo(
    ctx: typer.Context,
    images: int = typer.Option(300, min=1, max=5000, help="Benign images to generate."),
    lang: str | None = typer.Option(None, "--lang", help="Report language: es, pt or en."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Triage demo: benign evidence generated now, demo hash set, scan, HTML report."""
    if ctx.invoked_subcommand is None:
        triage.run_demo(quiet=quiet, lang=lang, images=images)


@demo_app.command("hashsets")
def hashsets_demo(
    count: int = typer.Option(24, min=1, max=1000, help="Number of benign images to generate."),
    keep: Path | None = typer.Option(None, help="Keep the generated files in this folder."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable result."),
) -> None:
    """Hash-set round trip: a benign set from generated images, VICS 2.0 out and back, stats."""

    def step(text: str) -> None:
        if not as_json:
            console.print(f"[bold cyan]•[/] {text}", highlight=False)

    if keep is not None:
        result = run_demo(engine(), keep, count=count, on_step=step)
    else:
        with tempfile.TemporaryDirectory(prefix="puente-demo-") as tmp:
            result = run_demo(engine(), Path(tmp), count=count, on_step=step)
    if as_json:
        print_json(
            {
                "images": result.images,
                "exported": result.exported,
                "reimported": result.reimported,
                "diff": result.diff,
                "stats": result.stats,
            }
        )
        return
    d = result.diff
    console.print(
        f"round trip: {result.exported} entries exported, {result.reimported} re-imported; "
        f"only in one set: {d.only_a + d.only_b}, category differs: {d.category_changed}",
        highlight=False,
    )
    print_table(
        "hash-set statistics",
        ["set", "status", "entries", "by algorithm", "by category"],
        [
            [s["name"], s["status"], s["entries"], s["by_algorithm"], s["by_category"]]
            for s in result.stats
        ],
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(demo_app, name="demo")
