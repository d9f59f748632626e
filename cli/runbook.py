"""`ops runbook`: the on-call's runbooks in the terminal, found by name, alert or war game.

A page carries a ``runbook`` annotation; ``ops runbook show <that name>`` renders the runbook with
rich. ``ops runbook list`` and ``ops runbook alerts`` show what exists and what pages whom.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.table import Table

from cli.common import fail_invalid, out, print_json
from runbooks.catalogue import CatalogueError, Runbook, find_runbook, load_alert_rules, load_runbooks

app = typer.Typer(help="Runbooks for every alert and war game.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]


def read_catalogue() -> dict[str, Runbook]:
    try:
        return load_runbooks()
    except CatalogueError as exc:
        fail_invalid(str(exc))


@app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """List every runbook: name, kind, alert or war game, severity, SLO and owner."""
    books = read_catalogue()
    if as_json:
        print_json([{"name": b.name, **b.meta.model_dump(mode="json")} for b in books.values()])
        return
    table = Table(title="Runbooks (ops runbook show NAME)")
    table.add_column("name", no_wrap=True)
    for column in ("kind", "alert / war game", "severity", "owner"):
        table.add_column(column)
    for book in books.values():
        subject = book.meta.wargame or ", ".join(book.meta.alert)
        table.add_row(book.name, book.meta.kind, subject, book.meta.severity, book.meta.owner)
    out.print(table)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Runbook name, alert name (e.g. VideoStartLatencyHigh) or war game.")],
    raw: Annotated[bool, typer.Option("--raw", help="Print the markdown source instead of rendering it.")] = False,
) -> None:
    """Show one runbook, rendered."""
    books = read_catalogue()
    try:
        book = find_runbook(name, books)
    except KeyError as exc:
        fail_invalid(f"NAME: {exc.args[0]}")
    if raw:
        typer.echo(book.path.read_text())
        return
    meta = book.meta
    out.print(
        f"[bold]{meta.title}[/]  severity [bold]{meta.severity}[/]  owner {meta.owner}\n"
        f"SLO: {meta.slo}\nalerts: {', '.join(meta.alert)}  file: runbooks/{book.path.name}",
        highlight=False,
    )
    out.print(Markdown(book.body))


@app.command("alerts")
def alerts_command(as_json: JsonFlag = False) -> None:
    """List the alerting rules (runbooks/alerts.yaml) with severity, threshold and runbook."""
    try:
        rules = load_alert_rules()
    except CatalogueError as exc:
        fail_invalid(str(exc))
    rows = [
        {
            "alert": r.alert,
            "severity": r.severity,
            "priority": r.labels.get("priority", ""),
            "for": r.for_ or "0s",
            "threshold": r.annotations.get("threshold", ""),
            "runbook": r.runbook,
            "summary": r.annotations.get("summary", ""),
        }
        for r in rules
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Alerting rules (runbooks/alerts.yaml)")
    table.add_column("alert", no_wrap=True)
    for column in ("severity", "priority", "for", "threshold", "runbook"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(row[c] for c in ("alert", "severity", "priority", "for", "threshold", "runbook")))
    out.print(table)
