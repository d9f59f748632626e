"""Reconcile the near-real-time estimate with billed cost, and report the error per cost centre.

The breaker trusts the estimator for hours before billing arrives; this is how we find out how far
off it was. Error is (estimated - billed) / billed, per day and cost centre and in total; days that
only one side knows are listed, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict

from finops.billing import CostRecord, daily_by_cost_center


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CenterError(Frozen):
    cost_center: str
    estimated_usd: float
    billed_usd: float
    error_usd: float
    error_ratio: float | None


class Reconciliation(Frozen):
    days: tuple[date, ...]
    only_estimated: tuple[date, ...]
    only_billed: tuple[date, ...]
    by_cost_center: tuple[CenterError, ...]
    total: CenterError
    worst_day_error_ratio: float | None


def compare(cost_center: str, estimated: float, billed: float) -> CenterError:
    error = estimated - billed
    return CenterError(
        cost_center=cost_center,
        estimated_usd=estimated,
        billed_usd=billed,
        error_usd=error,
        error_ratio=error / billed if billed else None,
    )


def reconcile(estimated: Iterable[CostRecord], billed: Iterable[CostRecord]) -> Reconciliation:
    """Compare the two sources over the days both cover."""
    est, bill = daily_by_cost_center(estimated), daily_by_cost_center(billed)
    days = tuple(sorted(set(est) & set(bill)))
    centers = sorted({c for d in days for c in (*est[d], *bill[d])})
    rows = tuple(
        compare(c, sum(est[d].get(c, 0.0) for d in days), sum(bill[d].get(c, 0.0) for d in days)) for c in centers
    )
    daily = [compare("total", sum(est[d].values()), sum(bill[d].values())) for d in days]
    worst = max((abs(x.error_ratio) for x in daily if x.error_ratio is not None), default=None)
    return Reconciliation(
        days=days,
        only_estimated=tuple(sorted(set(est) - set(bill))),
        only_billed=tuple(sorted(set(bill) - set(est))),
        by_cost_center=rows,
        total=compare("total", sum(r.estimated_usd for r in rows), sum(r.billed_usd for r in rows)),
        worst_day_error_ratio=worst,
    )
