"""`ops breaker`: placeholder sub-app, filled in by its issue."""

import typer

app = typer.Typer(help="breaker commands", no_args_is_help=True)
