"""`ops forecast`: placeholder sub-app, filled in by its issue."""

import typer

app = typer.Typer(help="forecast commands", no_args_is_help=True)
