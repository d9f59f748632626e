"""`ops sandbox`: run scenarios on the embedded platform model, or serve it over HTTP on loopback.

`run` evaluates a scenario in fast time under a strategy (none or reactive) and prints a summary,
or with --json one object of outcome counters. `serve` runs the model in scaled real time with
/metrics, the edge API and the admin API (docs/contracts.md section 4).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import err, fail_invalid, out, print_json
from sandbox.scenarios import OUTCOME_KEYS, Mitigations, list_scenarios, load_scenario
from stacks.loading import ConfigError

app = typer.Typer(help="The embedded platform model: run scenarios, serve it over HTTP.", no_args_is_help=True)
STRATEGY_NAMES = ("none", "reactive")


def parse_mitigations(values: list[str]) -> dict[str, bool]:
    """`NAME=on|off` pairs -> switches; exit 2 on anything else."""
    known = set(Mitigations.model_fields)
    flags: dict[str, bool] = {}
    for item in values:
        name, _, value = item.partition("=")
        if name not in known or value not in ("on", "off"):
            fail_invalid(f"--mitigation: expected NAME=on|off with NAME in {sorted(known)}, got {item!r}")
        flags[name] = value == "on"
    return flags


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help=f"scenario name ({', '.join(list_scenarios())}) or YAML path")],
    strategy: Annotated[str, typer.Option(help="none | reactive")] = "none",
    seed: Annotated[int, typer.Option(help="random seed (same seed, same JSON)")] = 0,
    mitigation: Annotated[list[str] | None, typer.Option(help="override a switch: NAME=on|off (repeatable)")] = None,
    dau: Annotated[int | None, typer.Option(help="override the platform model's DAU", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome counters as one JSON object")] = False,
) -> None:
    """Run SCENARIO in fast time and report its outcome counters."""
    from sandbox.running import run_scenario

    if strategy not in STRATEGY_NAMES:
        fail_invalid(f"--strategy: expected one of {list(STRATEGY_NAMES)}, got {strategy!r}")
    flags = parse_mitigations(mitigation or [])
    try:
        sc = load_scenario(scenario)
        sc = sc.with_mitigations(**flags) if flags else sc
        sc = sc.with_dau(dau) if dau else sc
        outcome = run_scenario(sc, strategy, seed)
    except ConfigError as exc:
        fail_invalid(str(exc))
    if as_json:
        print_json(outcome.as_dict())
        return
    data = outcome.as_dict()
    table = Table(title=f"{sc.name} · strategy {strategy} · seed {seed}", show_header=True)
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for key in (*sc.report, *(k for k in OUTCOME_KEYS if k not in sc.report)):
        table.add_row(key, f"{data[key]:,}" if isinstance(data[key], int) else f"{data[key]:,.2f}")
    out.print(table)
    err.print(f"[dim]{sc.description}[/] (full counters: --json)")


@app.command("serve")
def serve_command(
    scenario: Annotated[str, typer.Argument(help="scenario to serve")] = "normal-day",
    speed: Annotated[float, typer.Option(help="model seconds per real second", min=0.001)] = 1.0,
    port: Annotated[int, typer.Option(help="loopback port (0 = any free one)", min=0, max=65535)] = 8900,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    strategy: Annotated[str, typer.Option(help="none | reactive (runs inside the server)")] = "none",
) -> None:
    """Serve the model in scaled real time on 127.0.0.1: /metrics, edge API, admin API. Ctrl-C stops it."""
    from sandbox.running import build_sandbox, resolve_strategy
    from sandbox.serving import serve_forever

    if strategy not in STRATEGY_NAMES:
        fail_invalid(f"--strategy: expected one of {list(STRATEGY_NAMES)}, got {strategy!r}")
    try:
        sb = build_sandbox(load_scenario(scenario), seed)
    except ConfigError as exc:
        fail_invalid(str(exc))
    except OSError as exc:
        fail_invalid(f"--port {port}: {exc}")
    serve_forever(sb, resolve_strategy(strategy), speed=speed, port=port, log=err.print)
