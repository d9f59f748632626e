"""Render the finance report as HTML (with inline SVG charts), Markdown or a spreadsheet-ready CSV.

The CSV is long-form (one row per day and cost centre, plus unit-cost rows) so that a pivot table in
any spreadsheet rebuilds every view; the FOCUS export is ``finops/focus.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, select_autoescape

from finops.reporting import FinanceReport


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def unit_rows(report: FinanceReport) -> list[tuple[str, float, float, bool]]:
    """(metric, value over the period, target, met) for the unit costs."""
    n = len(report.days) or 1
    per_dau = sum(d.cost_per_dau_month_usd for d in report.days) / n
    per_view = sum(d.cost_per_view_usd for d in report.days) / n
    return [
        (
            "cost per DAU (USD/month)",
            per_dau,
            report.targets.cost_per_dau_usd,
            per_dau < report.targets.cost_per_dau_usd,
        ),
        (
            "cost per view (USD)",
            per_view,
            report.targets.cost_per_view_usd,
            per_view < report.targets.cost_per_view_usd,
        ),
    ]


def render_markdown(report: FinanceReport) -> str:
    lines = [f"# reelops spend report {report.start} to {report.end - timedelta(days=1)}", ""]
    lines += ["## Spend by cost centre", "", "| cost centre | USD | share |", "|---|---:|---:|"]
    for c, usd in sorted(report.total_by_cost_center.items(), key=lambda kv: -kv[1]):
        share = usd / report.total_usd if report.total_usd else 0.0
        lines.append(f"| {c} | {usd:,.2f} | {share:.1%} |")
    lines += [
        f"| **total** | **{report.total_usd:,.2f}** | 100% |",
        "",
        "## Daily spend",
        "",
        "| day | total USD | source | budget level |",
        "|---|---:|---|---|",
    ]
    lines += [f"| {d.day} | {d.total:,.2f} | {d.source} | {d.level} |" for d in report.days]
    lines += ["", "## Unit costs against targets", "", "| metric | value | target | met |", "|---|---:|---:|---|"]
    lines += [f"| {m} | {v:.6f} | < {t:.6f} | {'yes' if ok else 'NO'} |" for m, v, t, ok in unit_rows(report)]
    lines += ["", "## Budget", "", budget_line(report), ""]
    lines += [
        f"- {stamp(e.at)}: {e.from_state} -> {e.to_state} ({e.reason}, ${e.signal_usd:,.0f})"
        + (f", applied {', '.join(e.applied)}" if e.applied else "")
        + (f", restored {', '.join(e.restored)}" if e.restored else "")
        for e in report.breaker_events
    ]
    lines += ["", "## Forecast", "", forecast_line(report)]
    if report.reconciliation:
        r = report.reconciliation
        lines += [
            "",
            "## Estimator vs billing",
            "",
            "| cost centre | estimated | billed | error |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {x.cost_center} | {x.estimated_usd:,.2f} | {x.billed_usd:,.2f} | "
            f"{'' if x.error_ratio is None else f'{x.error_ratio:+.1%}'} |"
            for x in (*r.by_cost_center, r.total)
        ]
    return "\n".join(lines) + "\n"


def budget_line(report: FinanceReport) -> str:
    b = report.budget
    counts = {lvl: sum(1 for d in report.days if d.level == lvl) for lvl in ("warn", "page", "open")}
    return (
        f"Breaker now: **{report.breaker_state}**. Thresholds per day: notify ${b.notify_usd:,.0f}, "
        f"page ${b.page_usd:,.0f}, breaker ${b.breaker_usd:,.0f}. Days at or above: notify {counts['warn']}, "
        f"page {counts['page']}, breaker {counts['open']}. Breaker events in period: {len(report.breaker_events)}."
    )


def forecast_line(report: FinanceReport) -> str:
    fc = report.forecast
    if fc is None:
        return "No spend data in the report's last month: no forecast."
    return (
        f"{fc.month:%B %Y}: ${fc.month_to_date_usd:,.0f} spent over {fc.days_with_data} day(s); at the "
        f"trailing {min(fc.days_with_data, 7)}-day average of ${fc.trailing_daily_usd:,.0f}/day the month "
        f"ends at **${fc.month_end_usd:,.0f}**."
    )


def render_csv(report: FinanceReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["day", "metric", "cost_center", "value", "unit", "source"])
    for d in report.days:
        for c, usd in sorted(d.by_cost_center.items()):
            writer.writerow([d.day, "spend", c, f"{usd:.2f}", "USD", d.source])
        writer.writerow([d.day, "spend", "total", f"{d.total:.2f}", "USD", d.source])
        writer.writerow([d.day, "cost_per_dau_month", "total", f"{d.cost_per_dau_month_usd:.6f}", "USD", d.source])
        writer.writerow([d.day, "cost_per_view", "total", f"{d.cost_per_view_usd:.8f}", "USD", d.source])
    if report.forecast:
        for c, usd in sorted(report.forecast.month_end_by_cost_center.items()):
            writer.writerow([report.forecast.month, "forecast_month_end", c, f"{usd:.2f}", "USD", "forecast"])
    return buffer.getvalue()


TEMPLATE_FILE = Path(__file__).with_name("report.html.j2")


def render_html(report: FinanceReport) -> str:
    from finops.charting import chart_daily_spend, chart_forecast, chart_unit_costs  # matplotlib: ~1.5 s

    env = Environment(autoescape=select_autoescape(default=True))
    charts = {
        "daily": chart_daily_spend(report),
        "units": chart_unit_costs(report),
        "forecast": chart_forecast(report, report.days),
    }
    totals = sorted(report.total_by_cost_center.items(), key=lambda kv: -kv[1])
    recon = (*report.reconciliation.by_cost_center, report.reconciliation.total) if report.reconciliation else ()
    return env.from_string(TEMPLATE_FILE.read_text()).render(
        r=report,
        charts=charts,
        totals=totals,
        units=unit_rows(report),
        budget_line=budget_line(report).replace("**", ""),
        last_day=report.end - timedelta(days=1),
        forecast_line=forecast_line(report).replace("**", ""),
        recon=recon,
        stamp=stamp,
    )
