"""Terminal edge (Typer + Rich)."""
