"""Cost Explorer ingestion: GetCostAndUsage, daily, grouped by the ``cost_center`` tag (boto3).

Billed cost arrives 8-24 h late (SPEC 9); this is what the estimator is reconciled against. Pages are
followed with ``NextPageToken``; the group key ``cost_center$cdn`` becomes cost centre ``cdn`` and the
empty tag value (``cost_center$``) becomes ``untagged`` so that missing tags show up in showback.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from controllers.adapters.aws import aws_client, aws_errors
from finops.billing import UNTAGGED, CostRecord
from ports.interfaces import PortError

METRIC = "UnblendedCost"
TAG_KEY = "cost_center"


class CostExplorerBilling:
    """Billed cost per day and cost centre from AWS Cost Explorer."""

    def __init__(self, *, endpoint_url: str | None = None, region: str = "us-east-1") -> None:
        self.client = aws_client("ce", region, endpoint_url)

    def fetch(self, start: date, end: date) -> list[CostRecord]:
        """Records for days in [start, end)."""
        records: list[CostRecord] = []
        token: str | None = None
        while True:
            page = self._page(start, end, token)
            for result in page.get("ResultsByTime", []):
                records.extend(records_of(result))
            token = page.get("NextPageToken")
            if not token:
                return records

    def _page(self, start: date, end: date, token: str | None) -> dict[str, Any]:
        args: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": [METRIC],
            "GroupBy": [{"Type": "TAG", "Key": TAG_KEY}],
        }
        if token:
            args["NextPageToken"] = token
        try:
            return dict(self.client.get_cost_and_usage(**args))
        except aws_errors() as exc:
            raise PortError(f"Cost Explorer GetCostAndUsage {start}..{end}: {exc}") from exc


def records_of(result: Any) -> list[CostRecord]:
    """Cost records of one ``ResultsByTime`` entry."""
    day = date.fromisoformat(result["TimePeriod"]["Start"])
    out: list[CostRecord] = []
    for group in result.get("Groups", []):
        key = group["Keys"][0]
        center = key.split("$", 1)[1] if "$" in key else key
        amount = group["Metrics"][METRIC]
        if amount.get("Unit", "USD") != "USD":
            raise PortError(f"Cost Explorer returned {amount.get('Unit')} for {day}; expected USD")
        out.append(
            CostRecord(
                day=day,
                cost_center=center or UNTAGGED,
                usd=float(amount["Amount"]),
                source="billed",
                tags={TAG_KEY: center} if center else {},
            )
        )
    return out
