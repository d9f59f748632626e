"""`ops controllers`: placeholder sub-app, filled in by its issue."""

import typer

app = typer.Typer(help="controllers commands", no_args_is_help=True)
