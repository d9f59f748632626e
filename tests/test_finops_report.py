"""Finance reports render in every format from billed + estimated data, with breaker events."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from controllers.breaker.adapters import FileBreakerStore
from controllers.breaker.models import BreakerEvent, BreakerMemory, BreakerState, Reason
from finops.billing import CostRecord, Ledger
from finops.focus import read_focus, write_focus_parquet

SHARES = {"cdn": 0.913, "data": 0.049, "app": 0.018, "ml": 0.014, "observability": 0.004, "storage": 0.002}
RUNAWAY_DAY = 12


def day_total(d: int) -> float:
    return 16_000.0 if d == RUNAWAY_DAY else 7_900.0 + 40 * (d % 5)


def records(days: range, source: str, bias: float = 1.0) -> list[CostRecord]:
    return [
        CostRecord(day=date(2026, 11, d), cost_center=c, usd=day_total(d) * share * bias, source=source)  # type: ignore[arg-type]
        for d in days
        for c, share in SHARES.items()
    ]


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Path]:
    billing = tmp_path / "focus.parquet"
    write_focus_parquet(records(range(1, 19), "billed"), billing)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(records(range(15, 21), "estimated", bias=1.03))
    at = datetime(2026, 11, RUNAWAY_DAY, 15, 0, tzinfo=UTC).timestamp()
    events = (
        BreakerEvent(
            at=at,
            from_state=BreakerState.CLOSED,
            to_state=BreakerState.OPEN,
            reason=Reason.ABOVE_BREAKER,
            signal_usd=15_400,
            applied=("pause_backlog_encodes", "reduce_prefetch"),
        ),
        BreakerEvent(
            at=at + 7200,
            from_state=BreakerState.HALF_OPEN,
            to_state=BreakerState.CLOSED,
            reason=Reason.RECOVERED,
            signal_usd=12_000,
            restored=("pause_backlog_encodes",),
        ),
    )
    state = tmp_path / "breaker.json"
    FileBreakerStore(state).save(BreakerMemory(events=events), dry_run=False)
    return {"billing": billing, "ledger": ledger.path, "state": state, "dir": tmp_path}


def run(data: dict[str, Path], *args: str) -> str:
    result = CliRunner().invoke(
        app,
        [
            "finops",
            "report",
            "--billing",
            str(data["billing"]),
            "--ledger",
            str(data["ledger"]),
            "--state-file",
            str(data["state"]),
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_markdown_report_has_every_section(data: dict[str, Path]) -> None:
    text = run(data, "--format", "md", "--period", "2026-11")
    for heading in (
        "Spend by cost centre",
        "Daily spend",
        "Unit costs against targets",
        "Budget",
        "Forecast",
        "Estimator vs billing",
    ):
        assert f"## {heading}" in text
    assert "| 2026-11-12 | 16,000.00 | billed | open |" in text
    assert "| 2026-11-20 |" in text and "estimated" in text  # billing not in yet: the estimate fills in
    assert "closed -> open (above_breaker" in text
    assert "+3.0%" in text  # the ledger overestimates by 3% on the overlapping days


def test_forecast_uses_month_to_date_and_the_trailing_week(data: dict[str, Path]) -> None:
    text = run(data, "--format", "md")
    mtd = sum(day_total(d) * 1.03 if d > 18 else day_total(d) for d in range(1, 21))
    trailing = sum(day_total(d) * 1.03 if d > 18 else day_total(d) for d in range(14, 21)) / 7
    assert f"${mtd + 10 * trailing:,.0f}" in text


def test_csv_opens_as_a_spreadsheet(data: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(run(data, "--format", "csv"))))
    spend = [r for r in rows if r["metric"] == "spend" and r["cost_center"] == "total"]
    assert len(spend) == 20
    assert float(next(r for r in spend if r["day"] == "2026-11-12")["value"]) == pytest.approx(16_000)
    assert {r["metric"] for r in rows} >= {"cost_per_dau_month", "cost_per_view", "forecast_month_end"}


def test_focus_export_round_trips_through_the_cli(data: dict[str, Path]) -> None:
    out = data["dir"] / "export.parquet"
    run(data, "--format", "focus", "--out", str(out))
    back = read_focus(out)
    assert {r.day for r in back} == {date(2026, 11, d) for d in range(1, 21)}


def test_html_report_embeds_charts_and_events(data: dict[str, Path]) -> None:
    html = run(data, "--format", "html")
    assert html.count("<svg") == 3
    assert "above_breaker" in html and "reduce_prefetch" in html
    assert "Forecast to month end" in html and "Estimator against billing" in html


def test_no_data_is_invalid_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["finops", "report", "--ledger", str(tmp_path / "none.jsonl"), "--state-file", str(tmp_path / "s.json")]
    )
    assert result.exit_code == 2 and "no spend data" in result.stderr


def test_bad_format_is_invalid_input(data: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["finops", "report", "--format", "pdf"])
    assert result.exit_code == 2


def test_reconcile_command(data: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["finops", "reconcile", "--billing", str(data["billing"]), "--ledger", str(data["ledger"]), "--json"]
    )
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["error_ratio"] == pytest.approx(0.03)
    assert len(json.loads(result.stdout)["days"]) == 4
