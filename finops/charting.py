"""Charts of the finance report as inline SVG (matplotlib, no display needed).

Each function returns an ``<svg>`` string ready to embed in HTML, so the report is one file that
opens anywhere, offline.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from finops.reporting import DaySpend, FinanceReport

COLOURS = {
    "cdn": "#1f77b4",
    "data": "#ff7f0e",
    "app": "#2ca02c",
    "ml": "#9467bd",
    "storage": "#8c564b",
    "encoding": "#d62728",
    "observability": "#7f7f7f",
    "untagged": "#000000",
}


def to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def chart_daily_spend(report: FinanceReport) -> str:
    """Stacked daily spend by cost centre, budget thresholds, estimated days hatched."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    days = report.days
    labels = [d.day.strftime("%d %b") for d in days]
    bottom = [0.0] * len(days)
    centers = sorted({c for d in days for c in d.by_cost_center}, key=lambda c: -report.total_by_cost_center.get(c, 0))
    for center in centers:
        values = [d.by_cost_center.get(center, 0.0) for d in days]
        bars = ax.bar(labels, values, bottom=bottom, label=center, color=COLOURS.get(center, "#17becf"))
        for bar, d in zip(bars, days, strict=True):
            if d.source == "estimated":
                bar.set_hatch("//")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    b = report.budget
    for value, name, style in (
        (b.notify_usd, "notify", ":"),
        (b.page_usd, "page", "--"),
        (b.breaker_usd, "breaker", "-"),
    ):
        ax.axhline(value, color="#b22222", linestyle=style, linewidth=1)
        ax.annotate(f"{name} ${value:,.0f}", (0, value), xytext=(2, 2), textcoords="offset points", fontsize=7)
    ax.set_ylabel("USD per day")
    ax.set_title("Daily spend by cost centre (hatched: estimated, billing not yet in)")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    ax.legend(fontsize=7, ncol=4, loc="upper left", bbox_to_anchor=(0, -0.25))
    return to_svg(fig)


def chart_unit_costs(report: FinanceReport) -> str:
    """Cost per DAU (monthly equivalent) and per view, each against its target."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.8))
    labels = [d.day.strftime("%d %b") for d in report.days]
    draw_trend(
        left,
        labels,
        [d.cost_per_dau_month_usd for d in report.days],
        report.targets.cost_per_dau_usd,
        "Cost per DAU (USD/month)",
    )
    draw_trend(
        right,
        labels,
        [d.cost_per_view_usd * 1e6 for d in report.days],
        report.targets.cost_per_view_usd * 1e6,
        "Cost per million views (USD)",
    )
    return to_svg(fig)


def draw_trend(ax: Axes, labels: Sequence[str], values: Sequence[float], target: float, title: str) -> None:
    ax.plot(labels, values, marker="o", markersize=3)
    ax.axhline(target, color="#2e8b57", linestyle="--", linewidth=1, label="target")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=60, labelsize=6)
    ax.legend(fontsize=7)


def chart_forecast(report: FinanceReport, days: Sequence[DaySpend]) -> str:
    """Cumulative month-to-date spend and the straight-line forecast to month end."""
    fc = report.forecast
    fig, ax = plt.subplots(figsize=(9, 2.8))
    if fc is None:
        ax.text(0.5, 0.5, "no spend data for this month", ha="center")
        return to_svg(fig)
    month_days = [d for d in days if d.day >= fc.month]
    cumulative, running = [], 0.0
    for d in month_days:
        running += d.total
        cumulative.append(running)
    xs = [d.day.day for d in month_days]
    ax.plot(xs, cumulative, marker="o", markersize=3, label="month to date")
    end_day = xs[-1] + max(0, round((fc.month_end_usd - fc.month_to_date_usd) / max(fc.trailing_daily_usd, 1e-9)))
    ax.plot([xs[-1], end_day], [cumulative[-1], fc.month_end_usd], linestyle="--", label="forecast")
    ax.set_xlabel("day of month")
    ax.set_ylabel("USD")
    ax.set_title(f"Forecast to month end: ${fc.month_end_usd:,.0f}", fontsize=9)
    ax.legend(fontsize=7)
    return to_svg(fig)
