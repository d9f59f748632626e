"""The finance report's content: spend by cost centre over time, unit costs against targets, budget
status with breaker events, and a forecast to month end.

Sources merge into one daily view: billed cost where billing has arrived, the estimator's figures for
the days it has not (each day says which). Unit costs divide by the traffic model's DAU and views,
since billing carries no usage of users. Rendering lives in ``finops/report_rendering.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from finops.billing import CostRecord, daily_by_cost_center, in_period, next_month
from finops.reconciling import Reconciliation, reconcile
from finops.usage import Targets
from stacks.model import COST_CENTERS, BudgetSpec, TrafficSpec

TRAILING_DAYS = 7


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BudgetEvent(Frozen):
    """A budget-breaker state change as the report shows it (from the breaker's state file)."""

    at: float
    from_state: str
    to_state: str
    reason: str
    signal_usd: float
    applied: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()


class DaySpend(Frozen):
    day: date
    by_cost_center: dict[str, float]
    total: float
    source: str  # billed | estimated
    cost_per_dau_month_usd: float
    cost_per_view_usd: float
    level: str  # closed | warn | page | open by the budget thresholds


class Forecast(Frozen):
    month: date
    month_to_date_usd: float
    days_with_data: int
    trailing_daily_usd: float
    month_end_usd: float
    month_end_by_cost_center: dict[str, float]


class FinanceReport(Frozen):
    start: date
    end: date
    generated_for: date
    days: tuple[DaySpend, ...]
    total_by_cost_center: dict[str, float]
    total_usd: float
    targets: Targets
    budget: BudgetSpec
    breaker_state: str
    breaker_events: tuple[BudgetEvent, ...]
    forecast: Forecast | None
    reconciliation: Reconciliation | None
    dau: int
    views_per_day: float


def merge_sources(records: Sequence[CostRecord]) -> dict[date, tuple[dict[str, float], str]]:
    """Per day, billed cost if any arrived, else the estimate."""
    billed = daily_by_cost_center(r for r in records if r.source == "billed")
    estimated = daily_by_cost_center(r for r in records if r.source == "estimated")
    merged = {d: (v, "estimated") for d, v in estimated.items()}
    merged |= {d: (v, "billed") for d, v in billed.items()}
    return dict(sorted(merged.items()))


def level_of(total: float, budget: BudgetSpec) -> str:
    for name, threshold in (("open", budget.breaker_usd), ("page", budget.page_usd), ("warn", budget.notify_usd)):
        if total >= threshold:
            return name
    return "closed"


def build_days(
    merged: dict[date, tuple[dict[str, float], str]], traffic: TrafficSpec, budget: BudgetSpec, days_per_month: float
) -> tuple[DaySpend, ...]:
    views = traffic.dau * traffic.views_per_dau
    return tuple(
        DaySpend(
            day=d,
            by_cost_center=by,
            total=sum(by.values()),
            source=src,
            cost_per_dau_month_usd=sum(by.values()) * days_per_month / traffic.dau,
            cost_per_view_usd=sum(by.values()) / views,
            level=level_of(sum(by.values()), budget),
        )
        for d, (by, src) in merged.items()
    )


def forecast_month(days: Sequence[DaySpend], today: date) -> Forecast | None:
    """Month-to-date plus the trailing-7-day average for each remaining day of the month."""
    month = today.replace(day=1)
    mtd = [d for d in days if month <= d.day <= today]
    if not mtd:
        return None
    trailing = mtd[-TRAILING_DAYS:]
    remaining = (next_month(month) - max(d.day for d in mtd)).days - 1
    by_center = {
        c: sum(d.by_cost_center.get(c, 0.0) for d in mtd)
        + remaining * sum(d.by_cost_center.get(c, 0.0) for d in trailing) / len(trailing)
        for c in sorted({c for d in mtd for c in d.by_cost_center})
    }
    daily = sum(d.total for d in trailing) / len(trailing)
    return Forecast(
        month=month,
        month_to_date_usd=sum(d.total for d in mtd),
        days_with_data=len(mtd),
        trailing_daily_usd=daily,
        month_end_usd=sum(by_center.values()),
        month_end_by_cost_center=by_center,
    )


def build_report(
    records: Sequence[CostRecord],
    period: tuple[date, date],
    *,
    traffic: TrafficSpec,
    budget: BudgetSpec,
    targets: Targets,
    days_per_month: float,
    breaker_state: str = "closed",
    breaker_events: Sequence[BudgetEvent] = (),
) -> FinanceReport:
    start, end = period
    chosen = in_period(records, start, end)
    days = build_days(merge_sources(chosen), traffic, budget, days_per_month)
    totals = dict.fromkeys(COST_CENTERS, 0.0)
    for d in days:
        for c, usd in d.by_cost_center.items():
            totals[c] = totals.get(c, 0.0) + usd
    last = days[-1].day if days else end - timedelta(days=1)
    lo, hi = day_start_ts(start), day_start_ts(end)
    estimated = [r for r in chosen if r.source == "estimated"]
    billed = [r for r in chosen if r.source == "billed"]
    return FinanceReport(
        start=start,
        end=end,
        generated_for=last,
        days=days,
        total_by_cost_center=totals,
        total_usd=sum(totals.values()),
        targets=targets,
        budget=budget,
        breaker_state=breaker_state,
        breaker_events=tuple(e for e in breaker_events if lo <= e.at < hi),
        forecast=forecast_month(days, last),
        reconciliation=reconcile(estimated, billed) if estimated and billed else None,
        dau=traffic.dau,
        views_per_day=traffic.dau * traffic.views_per_dau,
    )


def day_start_ts(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
