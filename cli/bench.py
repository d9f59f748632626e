"""`ops bench`: placeholder sub-app, filled in by its issue."""

import typer

app = typer.Typer(help="bench commands", no_args_is_help=True)
