"""`ops breaker`: see and steer the budget circuit breaker (state in a local state file).

The breaker controller and these commands share one state file (``--state-file``, default
``$REELOPS_STATE_DIR/breaker.json`` or ``.reelops/breaker.json``). An override holds the breaker in a
state (``open`` applies every degradation, ``closed`` restores everything) until it expires or is
released; the controller acts on it at its next reconcile.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import fail_invalid, out, print_json
from controllers.breaker.adapters import FileBreakerStore, JsonLinesNotifier
from controllers.breaker.breaking import build_breaker, egress_before_day_gb
from controllers.breaker.models import BreakerEvent, BreakerMemory, BreakerState, Override
from controllers.breaker.sandbox_adapters import BreakerStrategy
from controllers.runtime.auditing import AuditLog
from finops.billing import Ledger, records_from_estimate
from ports.interfaces import PortError

app = typer.Typer(
    help="Budget circuit breaker: status, human override, release, run on the sandbox.", no_args_is_help=True
)
DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
OVERRIDABLE = ("closed", "warn", "page", "open")


def default_state_file() -> Path:
    return Path(os.environ.get("REELOPS_STATE_DIR", ".reelops")) / "breaker.json"


StateFile = Annotated[Path | None, typer.Option("--state-file", help="breaker state file (JSON)")]


def load_store(state_file: Path | None) -> tuple[FileBreakerStore, BreakerMemory]:
    store = FileBreakerStore(state_file or default_state_file())
    try:
        return store, store.load()
    except PortError as exc:
        fail_invalid(str(exc))


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1d`` -> seconds."""
    match = DURATION.match(text.strip())
    if not match:
        fail_invalid(f"--for: expected a duration like 30m, 2h or 1d, got {text!r}")
    return float(match.group(1)) * UNIT_S[match.group(2)]


def stamp(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command("status")
def status_command(
    state_file: StateFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the state as JSON")] = False,
) -> None:
    """Current state, degradations in force, saved knob values, override and recent events."""
    _, memory = load_store(state_file)
    if as_json:
        print_json(memory.model_dump(mode="json"))
        return
    out.print(f"state: [bold]{memory.state}[/] since {stamp(memory.since or None)}")
    out.print(f"degradations in force: {', '.join(memory.applied) or 'none'}")
    out.print(f"saved knob values: {memory.saved or 'none'}")
    if memory.override:
        o = memory.override
        out.print(f"override: {o.state} until {stamp(o.until)} by {o.by}: {o.reason}")
    out.print(events_table("recent breaker events", memory.events[-10:], "signal USD"))


@app.command("override")
def override_command(
    state: Annotated[str, typer.Option("--state", help="state to hold: closed, warn, page or open")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept in the state file and events)")],
    duration: Annotated[str | None, typer.Option("--for", help="how long, e.g. 2h; default until release")] = None,
    by: Annotated[str, typer.Option("--by", help="who")] = os.environ.get("USER", "unknown"),
    state_file: StateFile = None,
) -> None:
    """Hold the breaker in a state until the override expires or is released."""
    if state not in OVERRIDABLE:
        fail_invalid(f"--state: expected one of {', '.join(OVERRIDABLE)}, got {state!r}")
    if not reason.strip():
        fail_invalid("--reason: must not be empty")
    until = time.time() + parse_duration(duration) if duration else None
    store, memory = load_store(state_file)
    override = Override(state=BreakerState(state), until=until, reason=reason, by=by)
    store.save(memory.model_copy(update={"override": override}), dry_run=False)
    out.print(f"override set: hold {state} until {stamp(until) if until else 'released'}")


@app.command("release")
def release_command(state_file: StateFile = None) -> None:
    """Drop the human override; the breaker decides on spend again at its next reconcile."""
    store, memory = load_store(state_file)
    if memory.override is None:
        out.print("no override to release")
        return
    store.save(memory.model_copy(update={"override": None}), dry_run=False)
    out.print("override released")


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Option("--scenario", help="sandbox scenario name or YAML path")],
    seed: Annotated[int, typer.Option("--seed", help="random seed of the sandbox")] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and audit, change no knob or file")] = False,
    state_file: StateFile = None,
    ledger: Annotated[Path | None, typer.Option("--ledger", help="append the day's estimated spend here")] = None,
) -> None:
    """Run the breaker with the reactive controllers on the embedded sandbox, in fast time.

    The breaker's memory goes to the state file (``ops breaker status`` shows it, an override set
    with ``ops breaker override`` is honoured), notifications and audit records next to it, and the
    estimator's spend for the day to the ledger that ``ops finops report`` reads.
    """
    from sandbox.running import Reactive, build_sandbox, drive
    from sandbox.scenarios import load_scenario
    from stacks.loading import ConfigError, load_prod_platforms

    path = state_file or default_state_file()
    try:
        platforms = load_prod_platforms()
        sc = load_scenario(scenario)
        sb = build_sandbox(sc, seed, platforms)
        day_of_month = datetime.fromtimestamp(sc.start_epoch, UTC).day
        mtd_gb = egress_before_day_gb(sb.spec.traffic, day_of_month)
        breaker = build_breaker(list(platforms.values()), month_to_date_gb=mtd_gb)
    except (ConfigError, ValueError) as exc:
        fail_invalid(str(exc))
    strategy = BreakerStrategy(
        sb,
        breaker,
        Reactive(),
        store=FileBreakerStore(path),
        dry_run=dry_run,
        notifier=JsonLinesNotifier(path.with_name("breaker-notifications.jsonl")),
        audit=AuditLog(path.with_name("breaker-audit.jsonl")),
    )
    drive(sb, strategy)
    estimate = breaker.latest()[0]
    strategy.store.save(strategy.store.load(), dry_run=dry_run)  # the file exists even after a quiet run
    if estimate is not None and not dry_run:
        Ledger(ledger or path.with_name("spend-ledger.jsonl")).append(records_from_estimate(estimate))
    report_run(strategy, sb.spend.total(), estimate.spent_today_usd if estimate else 0.0)


def report_run(strategy: BreakerStrategy, metered: float, estimated: float) -> None:
    memory = strategy.store.load()
    out.print(events_table(f"{strategy.sb.scenario.name}: breaker transitions", memory.events, "projected USD"))
    out.print(f"spend: sandbox meter ${metered:,.0f}, estimator ${estimated:,.0f}; final state {memory.state}")


def events_table(title: str, events: Sequence[BreakerEvent], signal_label: str) -> Table:
    """The breaker's transitions as a table (status and sandbox runs show the same columns)."""
    table = Table(title=title)
    for col in ("at", "from", "to", "reason", signal_label, "applied", "restored"):
        table.add_column(col)
    for e in events:
        table.add_row(
            stamp(e.at),
            e.from_state,
            e.to_state,
            e.reason,
            f"{e.signal_usd:,.0f}",
            ", ".join(e.applied),
            ", ".join(e.restored),
        )
    return table
