"""Cost records (billed or estimated) and the daily spend ledger, the common currency of reports.

Billing sources (Cost Explorer, FOCUS exports) and the near-real-time estimator all become
``CostRecord`` rows: one day, one cost centre, an amount, where it came from. Reports, forecasts and
reconciliation only ever read these, whatever the source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finops.spending import SpendEstimate
from finops.validating import FinopsInputError, describe_error
from stacks.model import COST_CENTERS

Source = Literal["billed", "estimated"]
UNTAGGED = "untagged"


class CostRecord(BaseModel):
    """Cost of one cost centre on one UTC day, from one source."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    day: date
    cost_center: str
    usd: float
    source: Source
    service: str = ""
    region: str = ""
    list_usd: float | None = None
    quantity: float | None = None
    unit: str = ""
    resource_id: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


def day_of(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def records_from_estimate(estimate: SpendEstimate) -> list[CostRecord]:
    """The estimator's spend so far today, one record per cost centre."""
    day = day_of(estimate.day_start)
    return [
        CostRecord(day=day, cost_center=c, usd=usd, source="estimated")
        for c, usd in estimate.spent_today_by_cost_center.items()
    ]


def daily_by_cost_center(records: Iterable[CostRecord]) -> dict[date, dict[str, float]]:
    """Sum records into day -> cost centre -> USD (every known cost centre present, 0 if none)."""
    table: dict[date, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COST_CENTERS, 0.0))
    for r in records:
        table[r.day][r.cost_center] = table[r.day].get(r.cost_center, 0.0) + r.usd
    return dict(sorted(table.items()))


def in_period(records: Iterable[CostRecord], start: date, end: date) -> list[CostRecord]:
    """Records with ``start <= day < end``."""
    return [r for r in records if start <= r.day < end]


def parse_period(text: str, today: date) -> tuple[date, date]:
    """``YYYY-MM`` (a month), ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive) or ``mtd``; returns [start, end)."""
    try:
        if text == "mtd":
            return today.replace(day=1), today + timedelta(days=1)
        if ".." in text:
            first, last = (date.fromisoformat(p) for p in text.split("..", 1))
            if last < first:
                raise ValueError("the end is before the start")
            return first, last + timedelta(days=1)
        start = date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise FinopsInputError(
            f"--period: expected YYYY-MM, YYYY-MM-DD..YYYY-MM-DD or mtd, got {text!r} ({exc})"
        ) from None
    return start, next_month(start)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class Ledger:
    """The estimator's end-of-day spend per cost centre, one JSON line per record (``*.jsonl``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, records: Sequence[CostRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as fh:
            for r in records:
                fh.write(r.model_dump_json() + "\n")

    def read(self) -> list[CostRecord]:
        """Every record; for a day written twice, the last write wins (a re-run replaces the day)."""
        if not self.path.exists():
            return []
        latest: dict[tuple[date, str], CostRecord] = {}
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = CostRecord.model_validate(json.loads(line))
            except (ValueError, ValidationError) as exc:
                detail = (
                    describe_error(exc, f"{self.path}:{number}")
                    if isinstance(exc, ValidationError)
                    else (f"{self.path}:{number}: not JSON: {exc}")
                )
                raise FinopsInputError(detail) from None
            latest[(record.day, record.cost_center)] = record
        return list(latest.values())
