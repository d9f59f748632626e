"""`ops status`: one screen for the on-call, on the sandbox by default.

Stacks (validated platform model), SLOs and their burn, queue depths, the controllers' health and
last decisions, the budget breaker, active faults. Each section reads its own source and says
"not available" (and why) when that source cannot be read. Exit 1 when something needs action
(an SLO breached, a controller stale, a queue over its limit, the breaker open), else 0.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli import breaker
from cli.common import EXIT_FAILED, EXIT_OK, err, fail_invalid, out, print_json
from runbooks.snapshots import Snapshot
from runbooks.sources import DEFAULT_SANDBOX_URL, SandboxSource, gather_snapshot
from stacks.loading import ConfigError

if TYPE_CHECKING:
    from sandbox.serving import SandboxServer

NA = "[dim]not available[/]"


def status_command(
    sandbox: Annotated[
        str, typer.Option("--sandbox", help="Sandbox base URL (default $REELOPS_SANDBOX_URL or the contract's).")
    ] = "",
    audit: Annotated[
        Path | None,
        typer.Option("--audit", help="Controllers' JSON-lines audit log [default: .reelops/controllers-audit.jsonl]."),
    ] = None,
    controllers: Annotated[
        str, typer.Option("--controllers", help="Base URL of the controllers' own /metrics, when they run apart.")
    ] = "",
    breaker_file: Annotated[
        Path | None, typer.Option("--breaker-state-file", help="Budget breaker state file (as `ops breaker`).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the snapshot as JSON on stdout.")] = False,
    embedded: Annotated[
        str,
        typer.Option(
            "--embedded",
            help="Scenario to run in-process (reactive controller, fast-forwarded) when no sandbox URL was "
            "given and none answers at the default one; '' to never do so.",
        ),
    ] = "normal-day",
    warmup_min: Annotated[
        int, typer.Option("--warmup-min", min=1, help="Model minutes the embedded sandbox runs before the snapshot.")
    ] = 30,
) -> None:
    """One screen for the on-call: stacks, SLO burn, queues, controllers, breaker, faults."""
    url = sandbox or os.environ.get("REELOPS_SANDBOX_URL") or DEFAULT_SANDBOX_URL
    controllers_url = controllers or os.environ.get("REELOPS_CONTROLLERS_URL", "")
    server = None
    if embedded and url == DEFAULT_SANDBOX_URL and not answers(url):
        server = start_embedded(embedded, warmup_min)
        url = server.url
        err.print(f"no sandbox at {DEFAULT_SANDBOX_URL}: showing an embedded '{embedded}' ({warmup_min} model min in)")
    try:
        snapshot = gather_snapshot(
            SandboxSource(url),
            audit or default_audit(),
            breaker_file or breaker.default_state_file(),
            SandboxSource(controllers_url) if controllers_url else None,
        )
    finally:
        if server is not None:
            server.stop()
    if as_json:
        print_json({**snapshot.model_dump(mode="json"), "problems": snapshot.problems})
    else:
        render(snapshot)
    raise typer.Exit(EXIT_FAILED if snapshot.problems else EXIT_OK)


def answers(url: str) -> bool:
    """Whether a sandbox answers ``/healthz`` at ``url`` within half a second."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=0.5) as resp:
            return bool(resp.status == 200)
    except (OSError, ValueError):
        return False


def start_embedded(scenario: str, warmup_min: int) -> SandboxServer:
    """An in-process sandbox of ``scenario`` run ``warmup_min`` model minutes, served on a free loopback port."""
    from sandbox.running import Reactive, build_sandbox, drive
    from sandbox.serving import serve_in_background

    try:
        sb = build_sandbox(scenario)
    except ConfigError as exc:  # includes ScenarioError
        fail_invalid(f"--embedded: {exc}")
    strategy = Reactive()
    drive(sb, strategy, until_tick=round(warmup_min * 60 / sb.dt))
    return serve_in_background(sb, strategy=strategy, speed=1.0)


def default_audit() -> Path:
    """Where `ops controllers run` appends its audit records unless told otherwise."""
    return Path(os.environ.get("REELOPS_STATE_DIR", ".reelops")) / "controllers-audit.jsonl"


def render(s: Snapshot) -> None:
    clock = f"model time {s.model_time:,.0f} s" if s.model_time is not None else "sandbox not reachable"
    out.rule(f"reelops status: {s.source} ({clock})")
    if s.problems:
        out.print(f"[bold red]needs action: {'; '.join(s.problems)}[/]", highlight=False)
    elif s.unavailable:
        out.print(
            f"[bold yellow]nothing needs action in what could be read; not available: {', '.join(s.unavailable)}[/]",
            highlight=False,
        )
    else:
        out.print("[bold green]nothing needs action[/]")
    for section in (render_slos, render_queues, render_controllers, render_breaker, render_faults, render_stacks):
        section(s)
    for note in s.notes:
        out.print(f"[dim]note: {note}[/]", highlight=False)


def titled(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def mark(ok: bool | None) -> str:
    return "[dim]?[/]" if ok is None else ("[green]ok[/]" if ok else "[red]BREACHED[/]")


def render_slos(s: Snapshot) -> None:
    """One row per SLO: its worst scope now, the burn rate there, and every scope breaching it."""
    if s.slos is None:
        out.print(f"[bold]SLO burn[/]: {NA}")
        return
    table = titled("SLO burn (worst scope)", "SLO", "objective", "worst now", "burn rate", "breached in", "status")
    for name in dict.fromkeys(row.name for row in s.slos):
        rows = [r for r in s.slos if r.name == name]
        worst = (
            min(rows, key=lambda r: r.current or 0.0)
            if name == "availability"
            else max(rows, key=lambda r: r.current or 0.0)
        )
        burn = "" if worst.burn_rate is None else f"{worst.burn_rate:.1f}x"
        breached = ", ".join(r.scope for r in rows if r.ok is False) or "-"
        ok = None if any(r.ok is None for r in rows) else all(r.ok for r in rows)
        table.add_row(
            name,
            show(worst.objective, worst.unit),
            f"{show(worst.current, worst.unit)} ({worst.scope})",
            burn,
            breached,
            mark(ok),
        )
    out.print(table)


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4%}" if unit == "ratio" else f"{value:,.4g} {unit}"


def render_queues(s: Snapshot) -> None:
    if s.queues is None:
        out.print(f"[bold]Queues[/]: {NA}")
        return
    table = titled("Queues", "queue", "kind", "region", "depth", "limit", "status")
    for q in s.queues:
        limit = "" if q.limit is None else f"{q.limit:,.0f}"
        table.add_row(q.name, q.kind, q.region, f"{q.depth:,.0f}", limit, mark(not q.over))
    out.print(table)


def render_controllers(s: Snapshot) -> None:
    if s.controllers is None:
        out.print(f"[bold]Controllers[/]: {NA}")
        return
    if not s.controllers:
        out.print("[bold]Controllers[/]: none reporting (start them with `ops controllers run`)")
        return
    table = titled("Controllers", "controller", "last success", "errors", "decisions", "last decision", "health")
    for c in s.controllers:
        age = "n/a" if c.last_success_age_s is None else f"{c.last_success_age_s:,.0f} s ago"
        errors = ", ".join(f"{stage} {n:g}" for stage, n in sorted(c.errors.items()) if n) or "0"
        last = " / ".join(x for x in (c.last_action, c.last_reason, c.last_outcome) if x) or "-"
        health = {True: "[green]ok[/]", False: "[red]STALE[/]", None: "[dim]no metrics[/]"}[c.healthy]
        table.add_row(c.name, age, errors, f"{c.decisions:g}", last, health)
    out.print(table)


def render_breaker(s: Snapshot) -> None:
    b = s.breaker
    if b is None:
        out.print(f"[bold]Budget breaker[/]: {NA}")
        return
    state = b.state or "not reporting"
    colour = {"open": "red", "page": "yellow", "warn": "yellow", "half_open": "yellow"}.get(state, "green")
    money = " ".join(
        f"{label} {usd_or_na(v)}" for label, v in (("spend today", b.spend_today_usd), ("projected", b.projected_usd))
    )
    limits = f"thresholds {usd_or_na(b.notify_usd)} / {usd_or_na(b.page_usd)} / {usd_or_na(b.breaker_usd)}"
    age = "" if b.data_age_s is None else f", data {b.data_age_s:,.0f} s old"
    origin = f" (from {b.state_source})" if b.state_source else ""
    out.print(f"[bold]Budget breaker[/]: [{colour}]{state}[/]{origin}; {money}; {limits}{age}", highlight=False)
    if b.applied:
        out.print(f"  degradations in force: {', '.join(b.applied)}", highlight=False)
    if b.override:
        out.print(f"  [yellow]override[/]: {b.override} (release with `ops breaker release`)", highlight=False)


def usd_or_na(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.0f}"


def render_faults(s: Snapshot) -> None:
    if s.faults is None:
        out.print(f"[bold]Active faults[/]: {NA}")
        return
    described = [f"{f.get('kind', '?')} on {f.get('target', '?')}" for f in s.faults]
    out.print(f"[bold]Active faults[/]: {', '.join(described) or 'none'}", highlight=False)


def render_stacks(s: Snapshot) -> None:
    table = titled("Stacks (platform model)", "stack", "env", "jurisdiction", "regions", "pools", "config")
    for row in s.stacks:
        config = f"[red]{row.error}[/]" if row.error else "[green]valid[/]"
        scope = row.jurisdiction or ("global" if row.kind == "global" else "-")
        table.add_row(row.name, row.environment, scope, ", ".join(row.regions), str(row.pools), config)
    out.print(table)
