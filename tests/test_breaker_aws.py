"""The budget breaker on AWS, over HTTP against moto's server: state in DynamoDB, flag knobs in SSM,
spot cap through the GPU groups' MaxSize, notifications on the budget SNS topics; dry-run; faults.

The platform is the production stacks' (six GPU pools in six regions, the global stack's topics),
created in moto under the names ``default_settings`` derives. Throttling and timeouts come from a
loopback proxy in front of moto (``tests/aws_faults.py``): moto itself never throttles.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from controllers.adapters.aws import AwsClients, client_config
from controllers.backends import AwsEndpoints, Shared, aws_runners
from controllers.breaker.adapters import FileKnobs, SnsNotifier
from controllers.breaker.aws_adapters import (
    AsgSpotCapKnobs,
    AwsBreakerSettings,
    DynamoBreakerStore,
    SpotGroup,
    SsmKnobs,
    aws_breaker_ports,
    default_settings,
    load_settings,
)
from controllers.breaker.breaking import BreakerPorts, build_breaker
from controllers.breaker.models import BreakerMemory, BreakerState, Channel, load_policy
from controllers.runtime.auditing import AuditLog, Outcome
from controllers.runtime.running import Runner
from finops.cost_model import drivers_from_platforms
from finops.validating import FinopsInputError
from ports.clocks import FakeClock
from ports.interfaces import PortError
from stacks.loading import load_prod_platforms
from stacks.model import PlatformModel
from tests.aws_faults import fault_proxy
from tests.conftest import free_port
from tests.test_finops_spending import MID_MONTH_GB, MIDNIGHT, NormalDay

FAST = client_config(1, retries=0)


@pytest.fixture(scope="module")
def platforms() -> list[PlatformModel]:
    return list(load_prod_platforms().values())


@pytest.fixture(scope="module")
def settings(platforms: list[PlatformModel]) -> AwsBreakerSettings:
    return default_settings(platforms)


@pytest.fixture
def moto_aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto emptied, with EC2's default AMI catalogue off (loading it costs ~8 s per region)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    return moto_endpoint


def desired_for(group: SpotGroup) -> int:
    return min(group.max_size, group.on_demand_base + 8)


@pytest.fixture
def platform(moto_aws: str, settings: AwsBreakerSettings) -> str:
    """The breaker's AWS resources in moto: state table, topics (each with a queue to read them), groups."""
    ddb = boto3.client("dynamodb", region_name=settings.region, endpoint_url=moto_aws)
    ddb.create_table(
        TableName=settings.state_table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sns = boto3.client("sns", region_name=settings.region, endpoint_url=moto_aws)
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=moto_aws)
    for topic in sorted(set(settings.topics.values())):
        arn = sns.create_topic(Name=topic)["TopicArn"]
        url = sqs.create_queue(QueueName=f"{topic}-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    for group in settings.spot_groups:
        ec2 = boto3.client("ec2", region_name=group.region, endpoint_url=moto_aws)
        asg = boto3.client("autoscaling", region_name=group.region, endpoint_url=moto_aws)
        image = ec2.register_image(Name="encoder", RootDeviceName="/dev/xvda", Architecture="x86_64")["ImageId"]
        ec2.create_launch_template(
            LaunchTemplateName=group.name, LaunchTemplateData={"ImageId": image, "InstanceType": "g4dn.xlarge"}
        )
        asg.create_auto_scaling_group(
            AutoScalingGroupName=group.name,
            MinSize=group.on_demand_base,
            MaxSize=group.max_size,
            DesiredCapacity=desired_for(group),
            LaunchTemplate={"LaunchTemplateName": group.name},
            AvailabilityZones=[f"{group.region}a"],
        )
    return moto_aws


def groups(endpoint: str, settings: AwsBreakerSettings) -> dict[str, tuple[int, int]]:
    """(MaxSize, DesiredCapacity) of every pool group, as moto has them."""
    sizes = {}
    for g in settings.spot_groups:
        asg = boto3.client("autoscaling", region_name=g.region, endpoint_url=endpoint)
        found = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g.name])["AutoScalingGroups"][0]
        sizes[g.name] = (found["MaxSize"], found["DesiredCapacity"])
    return sizes


def untouched(settings: AwsBreakerSettings) -> dict[str, tuple[int, int]]:
    return {g.name: (g.max_size, desired_for(g)) for g in settings.spot_groups}


def inbox(endpoint: str, settings: AwsBreakerSettings, topic: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=endpoint)
    url = sqs.get_queue_url(QueueName=f"{topic}-inbox")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["Message"] for m in messages]


def parameters(endpoint: str, settings: AwsBreakerSettings) -> dict[str, str]:
    ssm = boto3.client("ssm", region_name=settings.region, endpoint_url=endpoint)
    found = ssm.get_parameters_by_path(Path=settings.flag_prefix)["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in found}


def stored_state(endpoint: str, settings: AwsBreakerSettings) -> dict[str, Any] | None:
    ddb = boto3.client("dynamodb", region_name=settings.region, endpoint_url=endpoint)
    item = ddb.get_item(TableName=settings.state_table, Key={"id": {"S": settings.state_key}}).get("Item")
    return dict(item) if item else None


# --- the adapters one by one ----------------------------------------------------------------------
def test_defaults_follow_the_stacks_and_a_file_overrides_keys(
    platforms: list[PlatformModel], settings: AwsBreakerSettings, tmp_path: Path
) -> None:
    assert settings.state_table == "reelops-prod-global-breaker-state"
    assert settings.topics[Channel.ONCALL] == "reelops-prod-global-budget-page"
    assert {g.name: g.region for g in settings.spot_groups}["eu-central-1-gpu"] == "eu-central-1"
    assert len(settings.spot_groups) == sum(len(p.settings.pools) for p in platforms)
    path = tmp_path / "breaker.yaml"
    path.write_text("budget_alert_queue: reelops-budget-breaker\nstate_table: other-state\n")
    loaded = load_settings(path, platforms)
    assert (loaded.budget_alert_queue, loaded.state_table, loaded.region) == (
        "reelops-budget-breaker",
        "other-state",
        "us-east-1",
    )
    path.write_text("state_tabel: x\n")
    with pytest.raises(FinopsInputError, match=r"breaker.yaml: state_tabel: unknown key"):
        load_settings(path, platforms)
    path.write_text("flag_prefix: no-slash\n")
    with pytest.raises(FinopsInputError, match=r"flag_prefix"):
        load_settings(path, platforms)


def test_state_item_round_trip_dry_run_and_a_lost_race(platform: str, settings: AwsBreakerSettings) -> None:
    clients = AwsClients.at(platform, FAST)
    store = DynamoBreakerStore(clients, settings.region, settings.state_table, settings.state_key)
    assert store.load() == BreakerMemory()
    opened = BreakerMemory(state=BreakerState.OPEN, since=5.0, applied=("sample_analytics",))
    store.save(opened, dry_run=True)
    assert stored_state(platform, settings) is None and store.load() == opened  # shadow only
    store = DynamoBreakerStore(clients, settings.region, settings.state_table, settings.state_key)
    store.load()
    store.save(opened, dry_run=False)
    item = stored_state(platform, settings)
    assert item is not None and item["state"] == {"S": "open"} and item["version"] == {"N": "1"}
    other = DynamoBreakerStore(clients, settings.region, settings.state_table, settings.state_key)
    assert other.load() == opened
    other.save(opened.model_copy(update={"state": BreakerState.HALF_OPEN}), dry_run=False)
    with pytest.raises(PortError, match="changed by another writer"):
        store.save(opened.model_copy(update={"state": BreakerState.CLOSED}), dry_run=False)
    assert DynamoBreakerStore(clients, settings.region, settings.state_table).load().state == BreakerState.HALF_OPEN
    fresh = DynamoBreakerStore(clients, settings.region, settings.state_table, settings.state_key)
    with pytest.raises(PortError, match="changed by another writer"):
        fresh.save(BreakerMemory(), dry_run=False)  # never loaded: must not overwrite an existing item


def test_invalid_state_item_is_a_port_error(platform: str, settings: AwsBreakerSettings) -> None:
    ddb = boto3.client("dynamodb", region_name=settings.region, endpoint_url=platform)
    ddb.put_item(
        TableName=settings.state_table,
        Item={"id": {"S": settings.state_key}, "memory": {"S": '{"state": "melted"}'}, "version": {"N": "3"}},
    )
    store = DynamoBreakerStore(AwsClients.at(platform, FAST), settings.region, settings.state_table)
    with pytest.raises(PortError, match="is invalid"):
        store.load()


def test_flag_knobs_in_ssm(platform: str, settings: AwsBreakerSettings) -> None:
    knobs = SsmKnobs(AwsClients.at(platform, FAST), settings.region, settings.flag_prefix, load_policy())
    assert knobs.read_knobs() == {"backlog_encodes": 1.0, "analytics_sample_rate": 1.0, "prefetch_depth": 3.0}
    knobs.set_knob("prefetch_depth", 1, dry_run=True)
    assert parameters(platform, settings) == {}
    knobs.set_knob("prefetch_depth", 1, dry_run=False)
    assert parameters(platform, settings) == {"prefetch_depth": "1"}
    assert knobs.read_knobs()["prefetch_depth"] == 1.0
    with pytest.raises(PortError, match="unknown flag knob"):
        knobs.set_knob("spot_burst_share", 0.5, dry_run=False)
    boto3.client("ssm", region_name=settings.region, endpoint_url=platform).put_parameter(
        Name=f"{settings.flag_prefix}/analytics_sample_rate", Value="NaN", Type="String"
    )
    with pytest.raises(PortError, match="malformed"):
        knobs.read_knobs()


def test_spot_cap_lowers_every_pool_group_in_its_region_and_puts_them_back(
    platform: str, settings: AwsBreakerSettings, tmp_path: Path
) -> None:
    flags = FileKnobs(tmp_path / "flags.json", load_policy())
    knobs = AsgSpotCapKnobs(AwsClients.at(platform, FAST), settings.spot_groups, flags)
    assert knobs.read_knobs()["spot_burst_share"] == 1.0
    knobs.set_knob("spot_burst_share", 0.25, dry_run=True)
    assert groups(platform, settings) == untouched(settings)
    knobs.set_knob("spot_burst_share", 0.25, dry_run=False)
    assert groups(platform, settings) == {
        "us-east-1-gpu": (21, 20),  # 12 + int(0.25 x 38); desired 20 already under the cap
        "us-west-2-gpu": (7, 7),
        "eu-west-1-gpu": (10, 10),
        "eu-central-1-gpu": (4, 4),
        "ap-southeast-1-gpu": (6, 6),
        "ap-northeast-1-gpu": (3, 3),
    }
    assert knobs.read_knobs()["spot_burst_share"] == pytest.approx(0.0)  # eu-west-1: 2 of room, int(0.5) = 0
    knobs.set_knob("spot_burst_share", 1.0, dry_run=False)
    assert {n: m for n, (m, _) in groups(platform, settings).items()} == {
        g.name: g.max_size for g in settings.spot_groups
    }
    knobs.set_knob("prefetch_depth", 1, dry_run=False)
    assert knobs.read_knobs()["prefetch_depth"] == 1


def test_a_missing_group_is_named(platform: str, settings: AwsBreakerSettings, tmp_path: Path) -> None:
    ghost = SpotGroup(name="no-such-gpu", region="us-east-1", on_demand_base=1, max_size=4)
    flags = FileKnobs(tmp_path / "flags.json", load_policy())
    knobs = AsgSpotCapKnobs(AwsClients.at(platform, FAST), (*settings.spot_groups, ghost), flags)
    with pytest.raises(PortError, match=r"not found: \['no-such-gpu'\]"):
        knobs.set_knob("spot_burst_share", 0.25, dry_run=False)
    assert groups(platform, settings) == untouched(settings)


@pytest.mark.parametrize("mode", ["throttle", "hang"])
def test_spot_cap_fault_part_way_puts_back_the_groups_already_changed(
    platform: str, settings: AwsBreakerSettings, tmp_path: Path, mode: str
) -> None:
    with fault_proxy(platform) as proxy:
        rule = proxy.fail("UpdateAutoScalingGroup", body_contains="us-west-2-gpu", mode=mode)  # the last one
        clients = AwsClients({"*": platform, "autoscaling": proxy.url}, client_config(1.5, retries=0))
        knobs = AsgSpotCapKnobs(clients, settings.spot_groups, FileKnobs(tmp_path / "f.json", load_policy()))
        with pytest.raises(PortError, match=r"us-west-2-gpu.*put back 5 of 5 group\(s\)"):
            knobs.set_knob("spot_burst_share", 0.25, dry_run=False)
    assert rule.hits == 1
    assert groups(platform, settings) == untouched(settings)


def test_notifier_publishes_to_topics_by_name(platform: str, settings: AwsBreakerSettings) -> None:
    notifier = SnsNotifier(settings.topics, region=settings.region, clients=AwsClients.at(platform, FAST))
    notifier.notify(Channel.ONCALL, "breaker open", dry_run=True)
    assert inbox(platform, settings, settings.topics[Channel.ONCALL]) == []
    notifier.notify(Channel.ONCALL, "breaker open", dry_run=False)
    assert inbox(platform, settings, settings.topics[Channel.ONCALL]) == ["breaker open"]
    assert notifier.topic_arn("reelops-prod-global-budget-page").endswith(":reelops-prod-global-budget-page")


# --- the breaker on the shared runtime over these ports ------------------------------------------
def breaker_runner(
    endpoint: str,
    settings: AwsBreakerSettings,
    clock: FakeClock,
    *,
    dry_run: bool = False,
    endpoints: dict[str, str] | None = None,
) -> tuple[Runner[BreakerPorts], NormalDay]:
    platforms = list(load_prod_platforms().values())
    breaker = build_breaker(platforms, month_to_date_gb=MID_MONTH_GB)
    source = NormalDay(drivers_from_platforms(platforms), clock, "us-east-1-gpu", 14.0)
    clients = AwsClients({"*": endpoint, **(endpoints or {})}, client_config(0.5, retries=0))
    ports = aws_breaker_ports(settings, clients, source, breaker.config.policy)
    return Runner([breaker], ports, clock=clock, interval_s=60, dry_run=dry_run, audit=AuditLog()), source


def test_runaway_spend_trips_the_breaker_on_aws_and_recovery_puts_everything_back(
    platform: str, settings: AwsBreakerSettings
) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    runner, source = breaker_runner(platform, settings, clock)
    runner.run(iterations=5)
    assert stored_state(platform, settings) is None, "a normal day changes nothing"
    assert parameters(platform, settings) == {} and groups(platform, settings) == untouched(settings)
    source.scale = 3.0
    runner.run(iterations=2)
    item = stored_state(platform, settings)
    assert item is not None and item["state"] == {"S": "open"}
    memory = BreakerMemory.model_validate_json(item["memory"]["S"])
    assert "reduce_prefetch" in memory.applied and "cap_spot_burst" in memory.applied
    assert parameters(platform, settings) == {
        "analytics_sample_rate": "0.1",
        "backlog_encodes": "0",
        "prefetch_depth": "1",
    }
    assert groups(platform, settings)["us-west-2-gpu"] == (7, 7)
    paged = inbox(platform, settings, settings.topics[Channel.ONCALL])
    assert paged and all("-> open (above_breaker)" in m for m in paged)
    trips = [r for r in runner.audit.records if r.decision and r.decision["action"] == "trip"]
    assert len(trips) == 1 and trips[0].outcome == Outcome.APPLIED

    source.scale = 1.0
    for _ in range(30):  # 2.5 h at 5 min a reconcile: hold 15 min, then one degradation back every 10 min
        clock.advance(300)
        runner.reconcile_once()
        if BreakerMemory.model_validate_json((stored_state(platform, settings) or {})["memory"]["S"]).state in (
            BreakerState.CLOSED,
            BreakerState.WARN,
        ):
            break
    final = BreakerMemory.model_validate_json((stored_state(platform, settings) or {})["memory"]["S"])
    assert final.state in (BreakerState.CLOSED, BreakerState.WARN) and not final.applied and not final.saved
    assert parameters(platform, settings) == {
        "analytics_sample_rate": "1",
        "backlog_encodes": "1",
        "prefetch_depth": "3",
    }
    assert {n: m for n, (m, _) in groups(platform, settings).items()} == {
        g.name: g.max_size for g in settings.spot_groups
    }


def test_dry_run_on_aws_changes_nothing(platform: str, settings: AwsBreakerSettings) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    runner, source = breaker_runner(platform, settings, clock, dry_run=True)
    source.scale = 3.0
    runner.run(iterations=3)
    assert stored_state(platform, settings) is None and parameters(platform, settings) == {}
    assert groups(platform, settings) == untouched(settings)
    assert inbox(platform, settings, settings.topics[Channel.ONCALL]) == []
    assert runner.ports.store.load().state == BreakerState.OPEN  # the shadow copy says what would happen
    assert {r.outcome for r in runner.audit.records} >= {Outcome.DRY_RUN}


@pytest.mark.parametrize(
    ("service", "action", "where"),
    [
        ("dynamodb", "PutItem", "memory not saved"),
        ("ssm", "PutParameter", "setting"),
        ("autoscaling", "UpdateAutoScalingGroup", "setting spot_burst_share"),
    ],
)
def test_a_throttled_call_while_tripping_leaves_the_platform_unchanged_and_is_reported(
    platform: str, settings: AwsBreakerSettings, service: str, action: str, where: str
) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    with fault_proxy(platform) as proxy:
        rule = proxy.fail(action)
        runner, source = breaker_runner(platform, settings, clock, endpoints={service: proxy.url})
        source.scale = 3.0
        (record,) = runner.reconcile_once()
        assert rule.hits >= 1
    assert record.outcome == Outcome.APPLY_FAILED and record.error is not None and where in record.error
    assert stored_state(platform, settings) is None
    normal = {"analytics_sample_rate": 1.0, "backlog_encodes": 1.0, "prefetch_depth": 3.0}
    assert all(float(v) == normal[k] for k, v in parameters(platform, settings).items())  # put back, if set
    assert groups(platform, settings) == untouched(settings)
    assert inbox(platform, settings, settings.topics[Channel.ONCALL]) == []


def test_a_throttled_notification_keeps_the_change_and_says_who_was_not_told(
    platform: str, settings: AwsBreakerSettings
) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    with fault_proxy(platform) as proxy:
        proxy.fail("Publish")
        runner, source = breaker_runner(platform, settings, clock, endpoints={"sns": proxy.url})
        source.scale = 3.0
        (record,) = runner.reconcile_once()
    assert record.outcome == Outcome.APPLY_FAILED and record.error is not None
    assert "applied and saved, but not notified" in record.error and "oncall" in record.error
    item = stored_state(platform, settings)
    assert item is not None and item["state"] == {"S": "open"}


# --- wiring: `ops controllers run --backend aws --only breaker` -------------------------------------
def test_aws_backend_builds_the_breaker_and_holds_when_telemetry_is_unreachable(
    platform: str, platforms: list[PlatformModel], settings: AwsBreakerSettings
) -> None:
    clock = FakeClock(MIDNIGHT + 10 * 3600)
    shared = Shared(dry_run=False, interval_s=60, audit=AuditLog())
    dead = f"http://127.0.0.1:{free_port()}"
    endpoints = AwsEndpoints(prometheus_url=dead, aws_endpoint_url=platform, timeout_s=1)
    (runner,) = aws_runners(platforms, ["breaker"], shared, endpoints, clock)
    assert [c.name for c in runner.controllers] == ["budget-breaker"]
    ports = runner.ports
    assert isinstance(ports.store, DynamoBreakerStore) and isinstance(ports.knobs, AsgSpotCapKnobs)
    (record,) = runner.reconcile_once()
    assert record.outcome == Outcome.HELD and record.stage == "observe" and "Prometheus" in (record.error or "")
    assert stored_state(platform, settings) is None and groups(platform, settings) == untouched(settings)


def test_cli_runs_the_breaker_on_aws_and_refuses_bad_settings(platform: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from controllers.runtime.auditing import read_audit

    audit = tmp_path / "audit.jsonl"
    dead = f"http://127.0.0.1:{free_port()}"
    args = ["controllers", "run", "--backend", "aws", "--only", "breaker", "--iterations", "1", "--interval-s", "1"]
    args += ["--prometheus-url", dead, "--aws-endpoint-url", platform, "--audit", str(audit)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (record,) = read_audit(audit)
    assert (record.controller, record.outcome, record.stage) == ("budget-breaker", Outcome.HELD, "observe")
    bad = tmp_path / "breaker.yaml"
    bad.write_text("topics: {pager: x}\n")
    refused = CliRunner().invoke(app, [*args, "--breaker-settings", str(bad)])
    said = "".join(refused.stderr.split())  # the console wraps long lines
    assert refused.exit_code == 2 and "breaker.yaml:topics.pager" in said and "'oncall'" in said, refused.output
