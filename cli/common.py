"""Shared CLI plumbing: consoles (data to stdout, diagnostics to stderr) and exit codes.

Exit codes are the same for every command: 0 success, 1 the thing checked failed (policy violation,
SLO broken), 2 invalid input (bad file, key or argument; nothing was applied).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2

out = Console()
err = Console(stderr=True)


def fail_invalid(message: str) -> NoReturn:
    """Report invalid input on stderr and exit 2."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout, nothing else (machine-readable output)."""
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
