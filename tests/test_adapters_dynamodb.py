"""DynamoDB + CloudWatch table actuator against moto's server over HTTP, and against a faulty endpoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from controllers.adapters.dynamodb import DynamoTables, region_clients
from controllers.predictive.models import Demand, PredictiveConfig, ResourceKind, ResourceSpec
from controllers.predictive.scaling import PredictiveScaler, ScalerPorts
from controllers.runtime.auditing import Outcome
from controllers.runtime.running import Runner
from ports.clocks import FakeClock
from ports.interfaces import PortError, TableActuator
from ports.metrics import SignalName
from ports.types import BillingMode, Sample
from tests.conftest import free_port
from tests.loopback import QuietHandler, serve

REGION = "eu-west-1"


def create_tables(endpoint: str) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    keys = {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    }
    ddb.create_table(
        TableName="progress",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 1042},
        **keys,
    )
    ddb.create_table(TableName="user_reviews", BillingMode="PAY_PER_REQUEST", **keys)


def put_consumed_writes(endpoint: str) -> None:
    """60,000 writes on ``progress`` over the last minute: 1,000 WCU consumed, as CloudWatch reports it."""
    cw = boto3.client("cloudwatch", region_name=REGION, endpoint_url=endpoint)
    cw.put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {
                "MetricName": "ConsumedWriteCapacityUnits",
                "Dimensions": [{"Name": "TableName", "Value": "progress"}],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=30),
                "Value": 60_000.0,
                "Unit": "Count",
            }
        ],
    )


@pytest.fixture
def tables(moto_reset: str) -> DynamoTables:
    create_tables(moto_reset)
    put_consumed_writes(moto_reset)
    return DynamoTables(region_clients([REGION], endpoint_url=moto_reset, timeout_s=5), ["progress", "user_reviews"])


def by_name(t: DynamoTables) -> dict[str, object]:
    return {s.table: s for s in t.describe_tables(REGION)}


def test_describes_modes_capacity_warm_and_consumed(tables: DynamoTables) -> None:
    assert isinstance(tables, TableActuator)
    states = {s.table: s for s in tables.describe_tables()}
    assert states["progress"].mode is BillingMode.PROVISIONED and states["progress"].write_capacity_units == 1042
    assert states["progress"].consumed_write_units == pytest.approx(1000.0)
    assert states["user_reviews"].mode is BillingMode.ON_DEMAND and states["user_reviews"].consumed_write_units == 0


def test_warm_throughput_rises_and_is_never_lowered(tables: DynamoTables) -> None:
    before = {s.table: s for s in tables.describe_tables(REGION)}["user_reviews"]
    tables.set_warm_throughput("user_reviews", REGION, 12_000, 500, dry_run=False)
    state = {s.table: s for s in tables.describe_tables(REGION)}["user_reviews"]
    assert state.warm_write_units == 12_000 and state.write_capacity_units == 12_000
    assert state.warm_read_units == max(500, before.warm_read_units), "read warm throughput is never lowered either"
    with pytest.raises(PortError, match="cannot be lowered"):
        tables.set_warm_throughput("user_reviews", REGION, 8_000, 500, dry_run=False)


def test_dry_run_changes_nothing(tables: DynamoTables) -> None:
    tables.set_warm_throughput("progress", REGION, 20_000, 100, dry_run=True)
    tables.set_provisioned_capacity("progress", REGION, 9_000, 100, dry_run=True)
    state = {s.table: s for s in tables.describe_tables(REGION)}["progress"]
    assert state.write_capacity_units == 1042 and state.warm_write_units < 20_000


def test_provisioned_capacity_is_set_and_on_demand_switches(tables: DynamoTables) -> None:
    tables.set_provisioned_capacity("progress", REGION, 5_000, 0, dry_run=False)
    tables.set_provisioned_capacity("user_reviews", REGION, 3_000, 0, dry_run=False)
    states = {s.table: s for s in tables.describe_tables(REGION)}
    assert states["progress"].write_capacity_units == 5_000
    assert (
        states["user_reviews"].mode is BillingMode.PROVISIONED and states["user_reviews"].write_capacity_units == 3_000
    )
    with pytest.raises(PortError, match="must be > 0"):
        tables.set_provisioned_capacity("progress", REGION, 0, 0, dry_run=False)


def test_unknown_table_and_region_are_port_errors(tables: DynamoTables) -> None:
    with pytest.raises(PortError, match="ResourceNotFoundException"):
        tables.set_warm_throughput("nope", REGION, 1, 1, dry_run=False)
    with pytest.raises(PortError, match="no AWS clients"):
        tables.describe_tables("us-east-1")


# --- faults from a misbehaving endpoint -------------------------------------------------------------
class Faulty(QuietHandler):
    mode = "throttle"

    def do_POST(self) -> None:
        self.read_body()
        if self.mode == "silent":
            threading.Event().wait(2)
            return
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate of requests exceeds the allowed throughput.",
        }
        self.reply_json(400, body)


@pytest.fixture(params=["throttle", "silent", "refused"])
def faulty_endpoint(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if request.param == "refused":
        yield f"http://127.0.0.1:{free_port()}", "refused"
        return
    with serve(type("H", (Faulty,), {"mode": request.param})) as url:
        yield url, request.param


def test_faults_are_port_errors(faulty_endpoint: tuple[str, str]) -> None:
    url, mode = faulty_endpoint
    tables = DynamoTables(region_clients([REGION], endpoint_url=url, timeout_s=0.5), ["progress"])
    expected = {"throttle": "ThrottlingException", "silent": "timeout|Timeout", "refused": "Connect|connect"}[mode]
    with pytest.raises(PortError, match=expected):
        tables.set_warm_throughput("progress", REGION, 10_000, 0, dry_run=False)


# --- the loop over real adapters: faults hold, never crash ----------------------------------------
class Mentions:
    """The social listener's feed for this test: one video past the viral threshold (test input)."""

    def __init__(self) -> None:
        self.minute = 0

    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]:
        value = {SignalName.MENTIONS_PER_MIN: 40.0 * 1.1**self.minute, SignalName.VIEWS_PER_MIN: 400.0}.get(signal)
        return [] if value is None else [Sample(labels={"video_id": "v", "region": REGION}, value=value, timestamp=0)]


def test_runner_over_moto_holds_on_faults_and_acts_when_healthy(moto_reset: str, clock: FakeClock) -> None:
    create_tables(moto_reset)
    put_consumed_writes(moto_reset)
    spec = ResourceSpec(
        kind=ResourceKind.TABLE_WARM,
        name="progress",
        region=REGION,
        demand=Demand.WRITES,
        events_per_unit_per_min=60.0,
        lead_time_s=1800,
    )
    healthy = DynamoTables(region_clients([REGION], endpoint_url=moto_reset, timeout_s=5), ["progress"])
    broken = DynamoTables(
        region_clients([REGION], endpoint_url=f"http://127.0.0.1:{free_port()}", timeout_s=0.5), ["progress"]
    )
    feed = Mentions()
    ports = ScalerPorts(metrics=feed, tables=broken)
    runner = Runner(
        [PredictiveScaler(PredictiveConfig(resources=(spec,)))], ports, clock=clock, interval_s=60, dry_run=False
    )
    records = []
    for minute in range(6):
        feed.minute = minute
        runner.ports = ScalerPorts(metrics=feed, tables=healthy if minute >= 3 else broken)
        records += runner.reconcile_once()
        clock.advance(60)
    assert [r.outcome for r in records[:3]] == [Outcome.HELD] * 3, "observation failed: capacity left alone"
    assert all("PortError" in (r.error or "") for r in records[:3])
    assert Outcome.APPLIED in [r.outcome for r in records[3:]]
    warm = {s.table: s for s in healthy.describe_tables(REGION)}["progress"].warm_write_units
    assert warm >= 12 * 1000, "once the table answers, it is pre-warmed for the trending surge (12x its writes)"
