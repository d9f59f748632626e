"""`ops plan`: placeholder, filled in by the infrastructure issue."""

import typer


def plan_command(stack: str = typer.Option(..., "--stack")) -> None:
    """Plan a stack offline."""
    raise typer.Exit(1)
