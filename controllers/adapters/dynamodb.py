"""DynamoDB tables through boto3: warm throughput, provisioned capacity, consumed writes from CloudWatch.

Implements ``ports.interfaces.TableActuator`` for the tables of one or more regions. Warm throughput
can only rise (DynamoDB refuses to lower it; we refuse first, with a clear message). ``dry_run``
validates against the table's current state and calls nothing that changes it. Consumed write units
come from CloudWatch (``AWS/DynamoDB`` ``ConsumedWriteCapacityUnits``, one-minute sum / 60).
Every AWS fault (throttling, a table update in progress, timeouts, unreachable endpoint, NaN
metrics) becomes :class:`PortError`; no client-side retries, the runner's next reconcile retries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from controllers.adapters.aws import AwsClients, client_config, port_errors
from ports.interfaces import PortError
from ports.types import BillingMode, TableState

T = TypeVar("T")
METRIC_WINDOW_S = 60


@dataclass(frozen=True)
class RegionClients:
    dynamodb: Any
    cloudwatch: Any


def region_clients(
    regions: Sequence[str], *, endpoint_url: str | None = None, timeout_s: float = 5.0
) -> dict[str, RegionClients]:
    """boto3 clients per region (``endpoint_url`` for moto's server or a VPC endpoint), no retries."""
    clients = AwsClients.at(endpoint_url, client_config(timeout_s, retries=0))
    return {
        r: RegionClients(dynamodb=clients.client("dynamodb", r), cloudwatch=clients.client("cloudwatch", r))
        for r in regions
    }


def call(what: str, fn: Callable[[], T]) -> T:
    """Run one AWS call; every failure becomes PortError naming the call and the AWS error code."""
    with port_errors(what):
        return fn()


class DynamoTables:
    """The write-path tables of the given regions (names from the platform model)."""

    def __init__(self, clients: Mapping[str, RegionClients], tables: Sequence[str]) -> None:
        self.clients = dict(clients)
        self.tables = tuple(tables)

    def _clients(self, region: str) -> RegionClients:
        if region not in self.clients:
            raise PortError(f"no AWS clients configured for region {region}")
        return self.clients[region]

    def _describe(self, table: str, region: str) -> dict[str, Any]:
        ddb = self._clients(region).dynamodb
        answer: dict[str, Any] = call(f"DescribeTable {table} in {region}", lambda: ddb.describe_table(TableName=table))
        return dict(answer["Table"])

    def consumed_write_units(self, table: str, region: str, now: datetime | None = None) -> float:
        """Write units/s consumed over the last full minute CloudWatch has (0 when there were no writes)."""
        cw = self._clients(region).cloudwatch
        end = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(seconds=1)  # CloudWatch: whole seconds
        answer = call(
            f"GetMetricStatistics ConsumedWriteCapacityUnits {table} in {region}",
            lambda: cw.get_metric_statistics(
                Namespace="AWS/DynamoDB",
                MetricName="ConsumedWriteCapacityUnits",
                Dimensions=[{"Name": "TableName", "Value": table}],
                StartTime=end - timedelta(minutes=5),
                EndTime=end,
                Period=METRIC_WINDOW_S,
                Statistics=["Sum"],
            ),
        )
        points = sorted(answer.get("Datapoints", []), key=lambda p: p["Timestamp"])
        if not points:
            return 0.0
        value = float(points[-1]["Sum"]) / METRIC_WINDOW_S
        if not math.isfinite(value) or value < 0:
            raise PortError(f"CloudWatch ConsumedWriteCapacityUnits for {table} in {region}: malformed {value!r}")
        return value

    def table_state(self, table: str, region: str) -> TableState:
        desc = self._describe(table, region)
        mode = desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        warm = desc.get("WarmThroughput", {})
        warm_w = float(warm.get("WriteUnitsPerSecond", 0) or 0)
        provisioned = float(desc.get("ProvisionedThroughput", {}).get("WriteCapacityUnits", 0) or 0)
        on_demand = mode == "PAY_PER_REQUEST"
        return TableState(
            table=table,
            region=region,
            mode=BillingMode.ON_DEMAND if on_demand else BillingMode.PROVISIONED,
            write_capacity_units=warm_w if on_demand else provisioned,
            warm_write_units=warm_w,
            warm_read_units=float(warm.get("ReadUnitsPerSecond", 0) or 0),
            consumed_write_units=self.consumed_write_units(table, region),
            observed_at=datetime.now(UTC).timestamp(),
        )

    def describe_tables(self, region: str | None = None) -> Sequence[TableState]:
        regions = [region] if region is not None else list(self.clients)
        return [self.table_state(t, r) for r in regions for t in self.tables]

    def set_warm_throughput(
        self, table: str, region: str, write_units_per_s: int, read_units_per_s: int, *, dry_run: bool
    ) -> None:
        warm = self._describe(table, region).get("WarmThroughput", {})
        write_now = int(warm.get("WriteUnitsPerSecond", 0) or 0)
        read_now = int(warm.get("ReadUnitsPerSecond", 0) or 0)
        if write_units_per_s < write_now:
            raise PortError(f"{table}@{region}: warm throughput cannot be lowered ({write_now} -> {write_units_per_s})")
        if dry_run or (write_units_per_s == write_now and read_units_per_s <= read_now):
            return
        ddb = self._clients(region).dynamodb
        wanted = {"WriteUnitsPerSecond": write_units_per_s, "ReadUnitsPerSecond": max(read_units_per_s, read_now)}
        call(
            f"UpdateTable {table} WarmThroughput in {region}",
            lambda: ddb.update_table(TableName=table, WarmThroughput=wanted),
        )

    def set_provisioned_capacity(
        self, table: str, region: str, write_units: int, read_units: int, *, dry_run: bool
    ) -> None:
        if write_units <= 0:
            raise PortError(f"{table}@{region}: write units must be > 0, got {write_units}")
        desc = self._describe(table, region)
        read_now = int(desc.get("ProvisionedThroughput", {}).get("ReadCapacityUnits", 0) or 0)
        throughput = {"WriteCapacityUnits": write_units, "ReadCapacityUnits": max(read_units, read_now, 1)}
        if dry_run:
            return
        args: dict[str, Any] = {"TableName": table, "ProvisionedThroughput": throughput}
        if desc.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST":
            args["BillingMode"] = "PROVISIONED"
        ddb = self._clients(region).dynamodb
        call(f"UpdateTable {table} ProvisionedThroughput in {region}", lambda: ddb.update_table(**args))
