"""Billing ingestion (Cost Explorer on moto's server, FOCUS CSV/Parquet), ledger and reconciliation."""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from finops.billing import CostRecord, Ledger, daily_by_cost_center, parse_period
from finops.billing_adapters import CostExplorerBilling
from finops.focus import FOCUS_COLUMNS, read_focus, write_focus_csv, write_focus_parquet
from finops.reconciling import reconcile
from finops.validating import FinopsInputError


def group(center: str, usd: float) -> dict[str, object]:
    return {"Keys": [f"cost_center${center}"], "Metrics": {"UnblendedCost": {"Amount": str(usd), "Unit": "USD"}}}


def day_result(day: str, end: str, groups: list[dict[str, object]]) -> dict[str, object]:
    return {"TimePeriod": {"Start": day, "End": end}, "Total": {}, "Groups": groups, "Estimated": False}


def seed_cost_explorer(endpoint: str, results: list[dict[str, object]]) -> None:
    body = json.dumps({"results": results}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request)


def test_cost_explorer_grouped_by_cost_center_follows_pages(moto_reset: str) -> None:
    seed_cost_explorer(
        moto_reset,
        [
            {
                "ResultsByTime": [
                    day_result("2026-11-01", "2026-11-02", [group("cdn", 7200.5), group("data", 380.25)])
                ],
                "NextPageToken": "page-2",
                "DimensionValueAttributes": [],
                "GroupDefinitions": [],
            },
            {
                "ResultsByTime": [day_result("2026-11-02", "2026-11-03", [group("cdn", 7300), group("", 12.5)])],
                "DimensionValueAttributes": [],
                "GroupDefinitions": [],
            },
        ],
    )
    records = CostExplorerBilling(endpoint_url=moto_reset).fetch(date(2026, 11, 1), date(2026, 11, 3))
    table = daily_by_cost_center(records)
    assert table[date(2026, 11, 1)]["cdn"] == pytest.approx(7200.5)
    assert table[date(2026, 11, 1)]["data"] == pytest.approx(380.25)
    assert table[date(2026, 11, 2)]["cdn"] == pytest.approx(7300)
    assert table[date(2026, 11, 2)]["untagged"] == pytest.approx(12.5)
    assert all(r.source == "billed" for r in records)


RECORDS = [
    CostRecord(
        day=date(2026, 11, d),
        cost_center=c,
        usd=usd * d,
        source="billed",
        service="svc",
        region="us-east-1",
        quantity=10.0 * d,
        unit="GB",
    )
    for d in (1, 2)
    for c, usd in (("cdn", 7000.0), ("encoding", 9.5))
]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_focus_export_round_trips(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"focus.{suffix}"
    (write_focus_csv if suffix == "csv" else write_focus_parquet)(RECORDS, path)
    back = read_focus(path)
    assert [(r.day, r.cost_center, r.usd, r.quantity, r.region) for r in back] == [
        (r.day, r.cost_center, r.usd, r.quantity, r.region) for r in RECORDS
    ]


def test_focus_csv_has_the_focus_columns_and_opens_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    write_focus_csv(RECORDS, path)
    header = path.read_text().splitlines()[0].split(",")
    assert tuple(header) == FOCUS_COLUMNS
    assert {"BilledCost", "EffectiveCost", "ListCost", "ChargePeriodStart", "ServiceCategory", "Tags"} <= set(header)


def test_focus_reads_cost_center_from_tags_when_no_custom_column(tmp_path: Path) -> None:
    path = tmp_path / "aws.csv"
    path.write_text(
        'ChargePeriodStart,BilledCost,Tags\n2026-11-01T00:00:00Z,12.5,"{""cost_center"": ""ml""}"\n'
        "2026-11-01T00:00:00Z,1.0,\n"
    )
    back = read_focus(path)
    assert [(r.cost_center, r.usd) for r in back] == [("ml", 12.5), ("untagged", 1.0)]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        pytest.param("ChargePeriodStart,Cost\n2026-11-01,1\n", "missing FOCUS column", id="missing-column"),
        pytest.param("ChargePeriodStart,BilledCost\n2026-11-01,lots\n", "row 2: BilledCost", id="bad-number"),
        pytest.param("ChargePeriodStart,BilledCost\nyesterday,1\n", "row 2: ChargePeriodStart", id="bad-date"),
    ],
)
def test_bad_focus_rows_name_file_row_and_column(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(FinopsInputError) as info:
        read_focus(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_focus_rejects_unknown_file_types(tmp_path: Path) -> None:
    path = tmp_path / "bill.xlsx"
    path.write_text("x")
    with pytest.raises(FinopsInputError, match=r"\.csv or \.parquet"):
        read_focus(path)


def test_reconciliation_reports_error_per_cost_center() -> None:
    billed = RECORDS
    estimated = [r.model_copy(update={"usd": r.usd * 1.1, "source": "estimated"}) for r in RECORDS if r.day.day == 1]
    estimated.append(CostRecord(day=date(2026, 11, 3), cost_center="cdn", usd=1.0, source="estimated"))
    rec = reconcile(estimated, billed)
    assert rec.days == (date(2026, 11, 1),)
    assert rec.only_billed == (date(2026, 11, 2),) and rec.only_estimated == (date(2026, 11, 3),)
    cdn = next(x for x in rec.by_cost_center if x.cost_center == "cdn")
    assert cdn.error_ratio == pytest.approx(0.1) and cdn.error_usd == pytest.approx(700)
    assert rec.total.error_ratio == pytest.approx(0.1) and rec.worst_day_error_ratio == pytest.approx(0.1)


def test_ledger_last_write_of_a_day_wins_and_bad_lines_are_located(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(RECORDS[:1])
    ledger.append([RECORDS[0].model_copy(update={"usd": 1.0})])
    assert [r.usd for r in ledger.read()] == [1.0]
    with ledger.path.open("a") as fh:
        fh.write('{"day": "2026-11-01", "cost_center": "cdn"}\n')
    with pytest.raises(FinopsInputError, match=r"ledger.jsonl:3: usd: required"):
        ledger.read()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", (date(2026, 11, 1), date(2026, 12, 1))),
        ("2026-12", (date(2026, 12, 1), date(2027, 1, 1))),
        ("2026-11-03..2026-11-05", (date(2026, 11, 3), date(2026, 11, 6))),
        ("mtd", (date(2026, 11, 1), date(2026, 11, 23))),
    ],
)
def test_periods(text: str, expected: tuple[date, date]) -> None:
    assert parse_period(text, today=date(2026, 11, 22)) == expected


@pytest.mark.parametrize("text", ["november", "2026-11-05..2026-11-01", "2026-13"])
def test_bad_periods_are_rejected(text: str) -> None:
    with pytest.raises(FinopsInputError, match="--period"):
        parse_period(text, today=date(2026, 11, 22))
