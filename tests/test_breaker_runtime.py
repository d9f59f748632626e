"""The breaker on the shared runtime with real adapters: files, the budget SNS topic (moto), the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from cli.main import app
from controllers.breaker.adapters import (
    FileBreakerStore,
    FileKnobs,
    JsonLinesNotifier,
    SnsNotifier,
    SqsBudgetAlerts,
    parse_budget_notification,
)
from controllers.breaker.breaking import BreakerPorts, BudgetBreaker, build_breaker
from controllers.breaker.models import BreakerMemory, BreakerState, Channel, load_policy
from controllers.runtime.running import Runner
from finops.cost_model import drivers_from_platforms
from ports.clocks import FakeClock
from stacks.loading import load_prod_platforms
from tests.test_finops_spending import MID_MONTH_GB, MIDNIGHT, NormalDay

BUDGET_MESSAGE = """AWS Budget Notification November 22, 2026
AWS Account 123456789012

Dear AWS Customer,

You requested that we alert you when the ACTUAL Cost associated with your reelops-daily budget is greater
than $15,000.00 for the current day.

Budget Name: reelops-daily
Budget Type: Cost
Budgeted Amount: $15,000.00
Alert Type: ACTUAL
Alert Threshold: > $15,000.00
ACTUAL Amount: $15,432.10
"""


def make_runner(tmp_path: Path, clock: FakeClock, scale: float, dry_run: bool = False):
    platforms = list(load_prod_platforms().values())
    breaker: BudgetBreaker = build_breaker(platforms, month_to_date_gb=MID_MONTH_GB)
    source = NormalDay(drivers_from_platforms(platforms), clock, "us-east-1-gpu", 14.0, scale=scale)
    ports = BreakerPorts(
        metrics=source,
        knobs=FileKnobs(tmp_path / "knobs.json", load_policy()),
        store=FileBreakerStore(tmp_path / "breaker.json"),
        notifier=JsonLinesNotifier(tmp_path / "notify.jsonl"),
    )
    return Runner([breaker], ports, clock=clock, interval_s=60, dry_run=dry_run), ports, source


def test_runaway_traffic_trips_the_breaker_and_a_normal_day_does_not(tmp_path: Path) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    runner, ports, source = make_runner(tmp_path, clock, scale=1.0)
    runner.run(iterations=30)
    assert ports.store.load().state == BreakerState.CLOSED
    source.scale = 3.0
    records = runner.run(iterations=2)
    memory = ports.store.load()
    assert records == 2 and memory.state == BreakerState.OPEN
    knobs = json.loads((tmp_path / "knobs.json").read_text())
    assert knobs["prefetch_depth"] == 1
    lines = [json.loads(x) for x in (tmp_path / "notify.jsonl").read_text().splitlines()]
    assert {x["channel"] for x in lines} >= {"oncall", "finance"}
    trip = [r for r in runner.audit.records if r.decision and r.decision["action"] == "trip"]
    assert len(trip) == 1 and trip[0].outcome == "applied"
    assert trip[0].decision is not None and trip[0].decision["reason"] == "above_breaker"


def test_dry_run_changes_no_file(tmp_path: Path) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    runner, ports, _ = make_runner(tmp_path, clock, scale=3.0, dry_run=True)
    runner.run(iterations=3)
    assert not (tmp_path / "knobs.json").exists() and not (tmp_path / "breaker.json").exists()
    assert ports.store.load().state == BreakerState.OPEN  # the shadow copy tracks what would happen


def test_budget_notification_parses_plain_and_in_an_sns_envelope() -> None:
    plain = parse_budget_notification(BUDGET_MESSAGE, 5.0)
    wrapped = parse_budget_notification(json.dumps({"Type": "Notification", "Message": BUDGET_MESSAGE}), 5.0)
    assert plain == wrapped
    assert plain is not None
    assert (plain.budget_name, plain.threshold_usd, plain.amount_usd, plain.kind) == (
        "reelops-daily",
        15_000.0,
        15_432.10,
        "actual",
    )
    assert parse_budget_notification("hello", 5.0) is None


def test_budget_topic_reaches_the_breaker_through_sqs(moto_reset: str) -> None:
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_reset)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_reset)
    topic = sns.create_topic(Name="reelops-budget")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="reelops-budget-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    alerts = SqsBudgetAlerts(queue_url, region="us-east-1", endpoint_url=moto_reset)
    assert alerts.latest(1.0) is None
    sns.publish(TopicArn=topic, Message="not a budget message")
    sns.publish(TopicArn=topic, Message=BUDGET_MESSAGE)
    alert = alerts.latest(2.0)
    assert alert is not None and alert.amount_usd == 15_432.10
    assert alerts.ignored == 1
    assert alerts.latest(3.0) == alert  # kept once drained
    SnsNotifier({Channel.ONCALL: topic}, region="us-east-1", endpoint_url=moto_reset).notify(
        Channel.ONCALL, "breaker open", dry_run=False
    )
    body = json.loads(sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"])
    assert body["Message"] == "breaker open"


def test_cli_override_status_release(tmp_path: Path) -> None:
    state = tmp_path / "breaker.json"
    cli = CliRunner()
    r = cli.invoke(
        app, ["breaker", "override", "--state", "open", "--for", "2h", "--reason", "drill", "--state-file", str(state)]
    )
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["breaker", "status", "--json", "--state-file", str(state)])
    data = json.loads(r.stdout)
    assert data["override"]["state"] == "open" and data["override"]["reason"] == "drill"
    assert cli.invoke(app, ["breaker", "release", "--state-file", str(state)]).exit_code == 0
    assert BreakerMemory.model_validate_json(state.read_text()).override is None
    assert "state: closed" in cli.invoke(app, ["breaker", "status", "--state-file", str(state)]).stdout


@pytest.mark.parametrize(
    "args",
    [["--state", "half_open", "--reason", "x"], ["--state", "open", "--reason", "x", "--for", "soon"]],
    ids=["bad-state", "bad-duration"],
)
def test_cli_rejects_bad_override(tmp_path: Path, args: list[str]) -> None:
    r = CliRunner().invoke(app, ["breaker", "override", *args, "--state-file", str(tmp_path / "s.json")])
    assert r.exit_code == 2
    assert not (tmp_path / "s.json").exists()


def test_exporter_publishes_the_contract_metrics(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from finops.exporting import SpendCollector
    from ports.metrics import METRICS_BY_NAME

    clock = FakeClock(MIDNIGHT + 10 * 3600)
    runner, _, _ = make_runner(tmp_path, clock, scale=3.0)
    breaker = runner.controllers[0]
    registry = CollectorRegistry()
    registry.register(SpendCollector(breaker.latest))
    assert generate_latest(registry) == b""
    runner.run(iterations=2)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(generate_latest(registry).decode())
        for s in fam.samples
        if not s.name.endswith("_created")
    }
    for name, labels in {(n, tuple(k for k, _ in lab)) for n, lab in samples}:
        assert name in METRICS_BY_NAME and labels == METRICS_BY_NAME[name].labels, name
    assert samples[("reelops_breaker_state", (("state", "open"),))] == 1.0
    assert samples[("reelops_projected_daily_spend_usd", ())] > 15_000
    assert samples[("reelops_spend_usd_total", (("cost_center", "cdn"),))] > 0


def test_cli_run_on_the_sandbox_writes_state_ledger_and_audit(tmp_path: Path) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        "name: short-normal\nstart: '2026-11-17T08:00:00Z'\nduration_s: 900\ntick_s: 30\ncontrol_interval_s: 60\n"
    )
    state = tmp_path / "breaker.json"
    result = CliRunner().invoke(app, ["breaker", "run", "--scenario", str(scenario), "--state-file", str(state)])
    assert result.exit_code == 0, result.output
    assert "final state closed" in result.stdout
    assert BreakerMemory.model_validate_json(state.read_text()).state == BreakerState.CLOSED
    ledger = [json.loads(x) for x in (tmp_path / "spend-ledger.jsonl").read_text().splitlines()]
    assert {x["cost_center"] for x in ledger} >= {"cdn", "encoding"} and all(x["day"] == "2026-11-17" for x in ledger)
    assert len((tmp_path / "breaker-audit.jsonl").read_text().splitlines()) == 15


def test_cli_run_rejects_an_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["breaker", "run", "--scenario", "no-such", "--state-file", str(tmp_path / "b.json")]
    )
    assert result.exit_code == 2
