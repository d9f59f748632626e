"""FOCUS 1.x billing exports: read them (CSV or Parquet) into cost records, and write them for finance.

FOCUS (FinOps Open Cost and Usage Specification) is the column set every cloud now exports. We read
``ChargePeriodStart``, ``BilledCost``/``EffectiveCost``, ``ServiceName``, ``RegionId``, ``ResourceId``,
``ConsumedQuantity``/``ConsumedUnit`` and the ``cost_center`` tag (``Tags`` JSON or the custom
``x_CostCenter`` column), and write the same columns plus the rest of the mandatory set. Bad rows are
reported with file, row and column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from finops.billing import UNTAGGED, CostRecord
from finops.validating import FinopsInputError

FOCUS_COLUMNS = (
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "PricingCategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ResourceId",
    "ConsumedQuantity",
    "ConsumedUnit",
    "Tags",
    "x_CostCenter",
    "x_Source",
)
REQUIRED_TO_READ = ("ChargePeriodStart", "BilledCost")
SERVICE_CATEGORY = {
    "cdn": "Networking",
    "encoding": "Compute",
    "ml": "AI and Machine Learning",
    "storage": "Storage",
    "data": "Databases",
    "app": "Compute",
    "observability": "Management and Governance",
}


def to_row(record: CostRecord, account: str) -> dict[str, Any]:
    """One FOCUS row for a record (daily charge period, usage charge)."""
    start = datetime.combine(record.day, datetime.min.time())
    month = record.day.replace(day=1)
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return {
        "BillingAccountId": account,
        "BillingCurrency": "USD",
        "BillingPeriodStart": f"{month.isoformat()}T00:00:00Z",
        "BillingPeriodEnd": f"{month_end.isoformat()}T00:00:00Z",
        "ChargePeriodStart": f"{start.date().isoformat()}T00:00:00Z",
        "ChargePeriodEnd": f"{(record.day + timedelta(days=1)).isoformat()}T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeDescription": f"{record.cost_center} {record.service}".strip(),
        "BilledCost": round(record.usd, 6),
        "EffectiveCost": round(record.usd, 6),
        "ListCost": round(record.list_usd if record.list_usd is not None else record.usd, 6),
        "PricingCategory": "Standard",
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "InvoiceIssuerName": "AWS",
        "ServiceName": record.service or record.cost_center,
        "ServiceCategory": SERVICE_CATEGORY.get(record.cost_center, "Other"),
        "RegionId": record.region,
        "ResourceId": record.resource_id,
        "ConsumedQuantity": record.quantity,
        "ConsumedUnit": record.unit,
        "Tags": json.dumps({**record.tags, "cost_center": record.cost_center}, sort_keys=True),
        "x_CostCenter": record.cost_center,
        "x_Source": record.source,
    }


def write_focus_csv(records: Sequence[CostRecord], path: Path, account: str = "reelops") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FOCUS_COLUMNS)
        writer.writeheader()
        for r in records:
            writer.writerow(to_row(r, account))


def write_focus_parquet(records: Sequence[CostRecord], path: Path, account: str = "reelops") -> None:
    rows = [to_row(r, account) for r in records]
    columns = {c: [row[c] for row in rows] for c in FOCUS_COLUMNS}
    path.parent.mkdir(parents=True, exist_ok=True)
    import pyarrow as pa  # only Parquet needs Arrow (~1 s to import)
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)


def read_focus(path: Path) -> list[CostRecord]:
    """FOCUS rows of a ``.csv`` or ``.parquet`` export as billed cost records."""
    rows = read_rows(path)
    if rows:
        missing = [c for c in REQUIRED_TO_READ if c not in rows[0]]
        if missing:
            raise FinopsInputError(f"{path}: missing FOCUS column(s) {missing}")
    return [from_row(row, path, number) for number, row in enumerate(rows, start=2)]


def read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise FinopsInputError(f"{path}: file not found")
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return list(pq.read_table(path).to_pylist())
        except (pa.ArrowInvalid, OSError) as exc:
            raise FinopsInputError(f"{path}: not a readable Parquet file: {exc}") from None
    if path.suffix == ".csv":
        with path.open(newline="") as fh:
            return list(csv.DictReader(fh))
    raise FinopsInputError(f"{path}: expected a FOCUS export ending in .csv or .parquet")


def from_row(row: dict[str, Any], path: Path, number: int) -> CostRecord:
    where = f"{path}: row {number}"
    return CostRecord(
        day=parse_day(row.get("ChargePeriodStart"), f"{where}: ChargePeriodStart"),
        cost_center=cost_center_of(row, where),
        usd=parse_number(row.get("BilledCost"), f"{where}: BilledCost"),
        source="billed",
        service=str(row.get("ServiceName") or ""),
        region=str(row.get("RegionId") or ""),
        list_usd=optional_number(row.get("ListCost"), f"{where}: ListCost"),
        quantity=optional_number(row.get("ConsumedQuantity"), f"{where}: ConsumedQuantity"),
        unit=str(row.get("ConsumedUnit") or ""),
        resource_id=str(row.get("ResourceId") or ""),
    )


def cost_center_of(row: dict[str, Any], where: str) -> str:
    if row.get("x_CostCenter"):
        return str(row["x_CostCenter"])
    raw = row.get("Tags") or "{}"
    try:
        tags = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except (json.JSONDecodeError, TypeError, ValueError):
        raise FinopsInputError(f"{where}: Tags: expected a JSON object, got {raw!r}") from None
    return str(tags.get("cost_center") or UNTAGGED)


def parse_day(raw: Any, where: str) -> date:
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).date()
    except ValueError:
        raise FinopsInputError(f"{where}: expected an ISO 8601 timestamp, got {raw!r}") from None


def parse_number(raw: Any, where: str) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise FinopsInputError(f"{where}: expected a number, got {raw!r}") from None


def optional_number(raw: Any, where: str) -> float | None:
    return None if raw in (None, "") else parse_number(raw, where)
