"""`ops bench`: benchmarks that print figures (speed targets live here, never in timed tests)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail_invalid, out, print_json

app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)


@app.command("router")
def router_command(
    json_out: Annotated[bool, typer.Option("--json", help='print {"decisions_per_s": N}')] = False,
    decisions: Annotated[int, typer.Option(min=1_000, help="routing decisions to time")] = 300_000,
) -> None:
    """Encode routing decisions per second on one core (target >= 100,000), prod platform model."""
    from controllers.routing.benchmarking import measure_decisions_per_s
    from stacks.loading import ConfigError, load_prod_platforms

    try:
        platforms = load_prod_platforms()
    except ConfigError as exc:
        fail_invalid(str(exc))
    rate = measure_decisions_per_s(platforms.values(), decisions)
    if json_out:
        print_json({"decisions_per_s": round(rate)})
    else:
        out.print(f"router: {rate:,.0f} decisions/s on one core ({decisions:,} decisions)")


@app.command("scoreboard")
def scoreboard_command(
    json_out: Annotated[bool, typer.Option("--json", help='print {"results": [...], "targets": [...]}')] = False,
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", help="scenario name or YAML path (repeat; default: all)")
    ] = None,
    strategy: Annotated[
        list[str] | None, typer.Option("--strategy", help="none|reactive|history-predictive|social-predictive|oracle")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the sandbox")] = 0,
    jobs: Annotated[int, typer.Option(min=1, help="runs in parallel (processes)")] = 2,
) -> None:
    """Every sandbox scenario under every strategy: throttled/delayed/lost writes, video start p95,
    upload-to-live p95/p99, cross-jurisdiction routes, capacity cost; then the issue's targets."""
    from rich.table import Table

    from controllers.scoreboard import SCENARIOS, check_targets, run_scoreboard
    from controllers.strategies import STRATEGY_NAMES
    from sandbox.scenarios import load_scenario
    from stacks.loading import ConfigError

    unknown = [s for s in strategy or () if s not in STRATEGY_NAMES]
    if unknown:
        fail_invalid(f"--strategy: unknown {unknown}; expected some of {list(STRATEGY_NAMES)}")
    try:
        scenarios = [load_scenario(name) for name in (scenario or SCENARIOS)]
    except ConfigError as exc:
        fail_invalid(str(exc))
    rows = run_scoreboard(scenarios, tuple(strategy or STRATEGY_NAMES), seed=seed, jobs=jobs)
    targets = check_targets(rows)
    if json_out:
        print_json({"results": [r.model_dump() for r in rows], "targets": [t.model_dump() for t in targets]})
        return
    table = Table(title=f"scoreboard (seed {seed})")
    for column in (
        "scenario",
        "strategy",
        "throttled",
        "delayed",
        "lost",
        "start p95 ms",
        "u2l p95 s",
        "u2l p99 s",
        "x-juris",
        "capacity $",
    ):
        table.add_column(column, justify="left" if column in ("scenario", "strategy") else "right")
    for r in rows:
        table.add_row(
            r.scenario,
            r.strategy,
            f"{r.throttled_writes:,}",
            f"{r.delayed_writes:,}",
            f"{r.lost_writes:,}",
            f"{r.video_start_p95_ms:.0f}",
            f"{r.upload_to_live_p95_s:.1f}",
            f"{r.upload_to_live_p99_s:.1f}",
            str(r.cross_jurisdiction_routes),
            f"{r.capacity_cost_usd:.2f}",
        )
    out.print(table, width=160)
    for t in targets:
        value = "missing" if t.value is None else f"{t.value:.4g}"
        out.print(f"{'PASS' if t.ok else 'FAIL'}  {t.scenario}: {t.name} = {value} (limit {t.limit:g})")
