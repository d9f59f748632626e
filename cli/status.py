"""`ops status`: placeholder, filled in by the runbooks issue."""

import typer


def status_command() -> None:
    """One screen for the on-call."""
    raise typer.Exit(1)
