"""`ops finops`: unit economics, stack cost estimates and reports for finance and engineers."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import err, fail_invalid, out, print_json
from controllers.breaker.adapters import FileBreakerStore
from finops.billing import CostRecord, Ledger, in_period, next_month, parse_period
from finops.billing_adapters import CostExplorerBilling
from finops.catalogue import CatalogueError, default_catalogue
from finops.cost_model import CostModel, drivers_from_platforms, model_costs
from finops.estimating import EstimateDiff, StackEstimate, diff_estimates, estimate_stack
from finops.focus import read_focus, write_focus_csv, write_focus_parquet
from finops.reconciling import reconcile
from finops.report_rendering import render_csv, render_html, render_markdown
from finops.reporting import BudgetEvent, build_report
from finops.usage import default_usage
from finops.validating import FinopsInputError
from ports.interfaces import PortError
from stacks.loading import ConfigError, load_platform, load_prod_platforms
from stacks.model import PlatformModel

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


def default_ledger() -> Path:
    return Path(os.environ.get("REELOPS_STATE_DIR", ".reelops")) / "spend-ledger.jsonl"


BillingFiles = Annotated[
    list[Path] | None, typer.Option("--billing", help="FOCUS export (.csv or .parquet); repeatable")
]
LedgerFile = Annotated[Path | None, typer.Option("--ledger", help="estimator spend ledger (JSON lines)")]


def gather_records(
    billing: list[Path] | None, ledger: Path | None, cost_explorer: str | None, period: str | None
) -> list[CostRecord]:
    """Billed records from FOCUS files or Cost Explorer, estimated ones from the ledger."""
    records: list[CostRecord] = []
    for path in billing or []:
        records.extend(read_focus(path))
    records.extend(Ledger(ledger or default_ledger()).read())
    if cost_explorer is not None:
        start, end = parse_period(period or "mtd", datetime.now(UTC).date())
        records.extend(CostExplorerBilling(endpoint_url=cost_explorer or None).fetch(start, end))
    if not records:
        fail_invalid("no spend data: pass --billing FOCUS files, --cost-explorer, or a --ledger the breaker wrote")
    return records


def breaker_view(state_file: Path | None) -> tuple[str, list[BudgetEvent]]:
    memory = FileBreakerStore(
        state_file or Path(os.environ.get("REELOPS_STATE_DIR", ".reelops")) / "breaker.json"
    ).load()
    return memory.state.value, [BudgetEvent.model_validate(e.model_dump(mode="json")) for e in memory.events]


@app.command("report")
def report_command(
    period: Annotated[
        str | None,
        typer.Option("--period", help="YYYY-MM, YYYY-MM-DD..YYYY-MM-DD or mtd; default: the month of the newest data"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md, csv or focus")] = "html",
    billing: BillingFiles = None,
    ledger: LedgerFile = None,
    cost_explorer: Annotated[
        str | None,
        typer.Option("--cost-explorer", help="fetch billed cost from Cost Explorer; value: endpoint URL or '' for AWS"),
    ] = None,
    state_file: Annotated[Path | None, typer.Option("--state-file", help="breaker state file")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Spend report for finance: by cost centre over time, unit costs, budget and breaker, forecast."""
    if fmt not in ("html", "md", "csv", "focus"):
        fail_invalid(f"--format: expected html, md, csv or focus, got {fmt!r}")
    try:
        records = gather_records(billing, ledger, cost_explorer, period)
        newest = max(r.day for r in records)
        start, end = parse_period(period, newest) if period else (newest.replace(day=1), next_month(newest))
        if fmt == "focus":
            write_focus(in_period(records, start, end), out_path)
            return
        state, events = breaker_view(state_file)
        global_model = load_platform("prod-global")
        if global_model.settings.budgets is None:
            fail_invalid("stacks/Pulumi.prod-global.yaml: reelops:platform.budgets: required for the report")
        usage = default_usage()
        report = build_report(
            records,
            (start, end),
            traffic=global_model.traffic,
            budget=global_model.settings.budgets,
            targets=usage.targets,
            days_per_month=usage.days_per_month,
            breaker_state=state,
            breaker_events=events,
        )
    except (ConfigError, FinopsInputError, PortError) as exc:
        fail_invalid(str(exc))
    renderers = {"html": render_html, "md": render_markdown, "csv": render_csv}
    emit(renderers[fmt](report), out_path)


def write_focus(records: list[CostRecord], out_path: Path | None) -> None:
    if out_path is None:
        buffer = Path(tempfile.mkdtemp()) / "focus.csv"
        write_focus_csv(records, buffer)
        typer.echo(buffer.read_text(), nl=False)
    elif out_path.suffix == ".parquet":
        write_focus_parquet(records, out_path)
    elif out_path.suffix == ".csv":
        write_focus_csv(records, out_path)
    else:
        fail_invalid(f"--out: a FOCUS export must end in .csv or .parquet, got {out_path}")


def emit(text: str, out_path: Path | None) -> None:
    if out_path is None:
        typer.echo(text, nl=False)
    else:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text)
        err.print(f"wrote {out_path}")


@app.command("reconcile")
def reconcile_command(
    billing: BillingFiles = None,
    ledger: LedgerFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compare the estimator's ledger with billed cost (FOCUS files): error per cost centre."""
    try:
        records = gather_records(billing, ledger, None, None)
    except FinopsInputError as exc:
        fail_invalid(str(exc))
    result = reconcile([r for r in records if r.source == "estimated"], [r for r in records if r.source == "billed"])
    if not result.days:
        fail_invalid("no day has both estimated and billed cost: nothing to reconcile")
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"Estimator vs billing over {len(result.days)} day(s)")
    for name in ("cost centre", "estimated", "billed", "error"):
        table.add_column(name, justify="left" if name == "cost centre" else "right")
    for x in (*result.by_cost_center, result.total):
        ratio = "" if x.error_ratio is None else f"{x.error_ratio:+.1%}"
        table.add_row(x.cost_center, f"{x.estimated_usd:,.2f}", f"{x.billed_usd:,.2f}", ratio)
    out.print(table)


def plan_and_estimate(model: PlatformModel) -> StackEstimate:
    from stacks.planning import plan_stack  # imports the Pulumi SDK: only when estimating

    drivers = drivers_from_platforms([*load_prod_platforms().values()])
    return estimate_stack(model, plan_stack(model).resources, drivers, default_usage(), default_catalogue())


@app.command("estimate")
def estimate_command(
    stack: Annotated[str, typer.Option("--stack", help="stack to plan and price (e.g. prod-us)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    compare_to: Annotated[
        Path | None, typer.Option("--compare-to", help="another stack config file: show what it costs against --stack")
    ] = None,
) -> None:
    """Monthly cost of a stack from its offline plan and the traffic model; optionally a diff."""
    try:
        base = plan_and_estimate(load_platform(stack))
        other = plan_and_estimate(load_platform(config_path=compare_to)) if compare_to else None
    except (ConfigError, CatalogueError, FinopsInputError) as exc:
        fail_invalid(str(exc))
    for estimate in (base, other):
        if estimate and estimate.unpriced:
            err.print(f"[yellow]{estimate.stack}: no price rule for {', '.join(estimate.unpriced)}[/]")
    if other is not None:
        diff = diff_estimates(base, other)
        print_json(diff.model_dump(mode="json")) if as_json else out.print(render_diff(diff))
        return
    print_json(base.model_dump(mode="json")) if as_json else out.print(render_estimate(base))


def render_estimate(e: StackEstimate) -> Table:
    table = Table(title=f"{e.stack}: estimated ${e.total_monthly_usd:,.0f} per month")
    for name in ("resource", "item", "quantity", "USD / month", "cost centre"):
        table.add_column(name, justify="right" if name in ("quantity", "USD / month") else "left")
    for line in sorted(e.lines, key=lambda x: -x.monthly_usd):
        table.add_row(
            line.resource,
            line.item,
            f"{line.quantity:,.1f} {line.unit}",
            f"{line.monthly_usd:,.2f}",
            line.cost_center.value,
        )
    return table


def render_diff(d: EstimateDiff) -> Table:
    table = Table(
        title=f"{d.before} -> {d.after}: ${d.before_usd:,.0f} -> ${d.after_usd:,.0f} per month ({d.delta_usd:+,.0f})"
    )
    for name in ("resource", "change", "before", "after", "delta"):
        table.add_column(name, justify="left" if name in ("resource", "change") else "right")
    for r in d.resources:
        table.add_row(r.resource, r.change, f"{r.before_usd:,.2f}", f"{r.after_usd:,.2f}", f"{r.delta_usd:+,.2f}")
    return table
