"""`ops runbook`: placeholder sub-app, filled in by its issue."""

import typer

app = typer.Typer(help="runbook commands", no_args_is_help=True)
