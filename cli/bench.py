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
