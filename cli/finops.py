"""`ops finops`: unit economics, stack cost estimates and reports for finance and engineers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import fail_invalid, out, print_json
from finops.catalogue import CatalogueError, default_catalogue
from finops.cost_model import CostModel, drivers_from_platforms, model_costs
from finops.usage import default_usage
from finops.validating import FinopsInputError
from stacks.loading import ConfigError, load_prod_platforms

app = typer.Typer(help="Cost model, stack estimates and finance reports.", no_args_is_help=True)


@app.command("model")
def model_command(
    dau: Annotated[int, typer.Option("--dau", help="daily active users to model", min=1)],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Monthly cost by cost centre and unit economics at a given DAU."""
    try:
        drivers = drivers_from_platforms(list(load_prod_platforms().values()))
        result = model_costs(dau, drivers, default_usage(), default_catalogue())
    except (ConfigError, CatalogueError, FinopsInputError) as exc:
        fail_invalid(str(exc))
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        out.print(render_model_table(result))
        out.print(render_unit_table(result))


def render_model_table(result: CostModel) -> Table:
    table = Table(title=f"Monthly infrastructure cost at {result.dau:,} DAU")
    for name in ("cost centre", "USD / month", "share"):
        table.add_column(name, justify="left" if name == "cost centre" else "right")
    for center, usd in sorted(result.monthly_usd_by_cost_center.items(), key=lambda kv: -kv[1]):
        table.add_row(center, f"{usd:,.0f}", f"{usd / result.total_monthly_usd:.1%}")
    table.add_row("total", f"{result.total_monthly_usd:,.0f}", "100.0%", style="bold")
    return table


def render_unit_table(result: CostModel) -> Table:
    table = Table(title="Unit economics (monthly)")
    for name in ("metric", "value", "target", "met"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    rows = [
        ("cost per DAU", result.cost_per_dau_usd, result.targets["cost_per_dau_usd"]),
        ("cost per view", result.cost_per_view_usd, result.targets["cost_per_view_usd"]),
    ]
    for name, value, target in rows:
        table.add_row(name, f"${value:.6f}", f"< ${target:.6f}", "yes" if value < target else "NO")
    table.add_row("cost per encode", f"${result.cost_per_encode_usd:.4f}", "", "")
    table.add_row("revenue", f"${result.revenue_usd:,.0f}", "", "")
    table.add_row("creator payout", f"${result.creator_payout_usd:,.0f}", "", "")
    table.add_row("gross margin", f"{result.gross_margin:.1%}", "", "")
    return table
