"""The budget breaker's ports on AWS: its memory in DynamoDB, its knobs in SSM and Auto Scaling.

- ``DynamoBreakerStore``: the breaker's memory as one DynamoDB item, written with a version
  condition so that two writers (a second replica, an operator's override) never silently overwrite
  each other: a lost race is a PortError and the next reconcile re-reads. Dry-run keeps a shadow copy.
- ``SsmKnobs``: the flag knobs (``analytics_sample_rate``, ``prefetch_depth``, ``backlog_encodes``)
  as SSM parameters ``<prefix>/<knob>`` that the player, the analytics pipeline and the backlog
  encoder read; a missing parameter reads as the policy's normal value.
- ``AsgSpotCapKnobs``: ``spot_burst_share`` as each GPU pool's Auto Scaling group MaxSize,
  ``base + share x (max - base)`` (never below MinSize; desired lowered with it), in every pool's own
  region; other knobs go to ``flags``. All groups change or none: a fault part-way puts back the
  groups already changed, then raises; ``snapshot``/``restore`` let the breaker put groups (desired
  capacity too) and flags back exactly when a later step of its apply fails.
- ``aws_breaker_ports``: the above with ``SnsNotifier`` (the budget topics by name) and, when a
  queue is configured, ``SqsBudgetAlerts`` (the budget topic's subscriber queue, the slow signal);
- ``AwsBreakerSettings``: where those live; defaults follow the stacks' naming (``<project>-<stack>``
  of the global stack, pools' group names as the pool scaler uses them), a YAML file overrides keys.

Every AWS fault (throttling, timeouts, refused calls, malformed values) becomes ``PortError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, RootModel, ValidationError

from controllers.adapters.aws import AwsClients, error_code, port_errors
from controllers.breaker.adapters import SnsNotifier, SqsBudgetAlerts
from controllers.breaker.breaking import BreakerPorts
from controllers.breaker.models import BreakerMemory, BreakerPolicy, Channel, Frozen, Knob, KnobActuator
from finops.validating import load_yaml_model, validate_model
from ports.interfaces import MetricsSource, PortError
from stacks.model import PlatformModel

GLOBAL_SERVICES_REGION = "us-east-1"  # where the global stack creates the budget topics (stacks/program.py)
STATE_KEY_ATTRIBUTE = "id"


class SpotGroup(Frozen):
    """One GPU pool's Auto Scaling group and the sizes its stack gives it."""

    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    on_demand_base: int = Field(ge=0)
    max_size: int = Field(gt=0)


class AwsBreakerSettings(Frozen):
    """Where the breaker keeps its memory and knobs on AWS, and whom it tells."""

    region: str = Field(min_length=1, description="region of the state table, flags and topics")
    state_table: str = Field(min_length=3, description="DynamoDB table, string hash key 'id'")
    state_key: str = Field(default="budget-breaker", min_length=1)
    flag_prefix: str = Field(pattern=r"^/[A-Za-z0-9_.\-/]+[^/]$", description="SSM parameter path of the flag knobs")
    topics: dict[Channel, str] = Field(description="SNS topic name or ARN per channel")
    budget_alert_queue: str | None = Field(
        default=None, description="SQS queue (name or URL) subscribed to the budget breaker topic"
    )
    spot_groups: tuple[SpotGroup, ...] = ()


def default_settings(platforms: Sequence[PlatformModel]) -> AwsBreakerSettings:
    """Names that follow the stacks: the global stack's ``<project>-<stack>`` prefix, pools as named."""
    globals_ = [p for p in platforms if p.settings.kind == "global"]
    if not globals_:
        raise ValueError("no global stack among the platforms (the breaker's budgets and topics live there)")
    prefix = f"{globals_[0].project}-{globals_[0].stack}"
    groups = tuple(
        SpotGroup(name=pool.name, region=pool.region, on_demand_base=pool.on_demand_base, max_size=pool.max_size)
        for p in platforms
        if p.settings.kind == "jurisdiction"
        for pool in p.settings.pools
    )
    return AwsBreakerSettings(
        region=GLOBAL_SERVICES_REGION,
        state_table=f"{prefix}-breaker-state",
        flag_prefix=f"/{globals_[0].project}/{globals_[0].stack}/knobs",
        topics={
            Channel.ENGINEERING: f"{prefix}-budget-notify",
            Channel.ONCALL: f"{prefix}-budget-page",
            Channel.FINANCE: f"{prefix}-budget-page",
        },
        spot_groups=groups,
    )


class SettingsFile(RootModel[dict[str, Any]]):
    """A settings file: a mapping of AwsBreakerSettings keys (checked once merged with the defaults)."""


def load_settings(path: Path | None, platforms: Sequence[PlatformModel]) -> AwsBreakerSettings:
    """The defaults, with the keys of the YAML file at ``path`` replacing theirs; errors name file and key."""
    defaults = default_settings(platforms)
    if path is None:
        return defaults
    overrides = load_yaml_model(path, SettingsFile).root
    return validate_model({**defaults.model_dump(), **overrides}, AwsBreakerSettings, str(path))


class DynamoBreakerStore:
    """BreakerMemory as one item ``{id, memory (JSON), version}``; saves are conditional on the version."""

    def __init__(self, clients: AwsClients, region: str, table: str, key: str = "budget-breaker") -> None:
        self.ddb = clients.client("dynamodb", region)
        self.table, self.key = table, key
        self.version: int | None = None  # of the item last loaded; None = not there
        self.shadow: BreakerMemory | None = None

    def load(self) -> BreakerMemory:
        if self.shadow is not None:
            return self.shadow
        with port_errors(f"breaker state: GetItem {self.key} in {self.table}"):
            item = self.ddb.get_item(
                TableName=self.table, Key={STATE_KEY_ATTRIBUTE: {"S": self.key}}, ConsistentRead=True
            ).get("Item")
            if item is None:
                self.version = None
                return BreakerMemory()
            version = int(item["version"]["N"])
            try:
                memory = BreakerMemory.model_validate_json(item["memory"]["S"])
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"]
                raise PortError(f"breaker state in {self.table}/{self.key} is invalid: {problem}") from None
            self.version = version
            return memory

    def save(self, memory: BreakerMemory, *, dry_run: bool) -> None:
        if dry_run:
            self.shadow = memory
            return
        new = (self.version or 0) + 1
        item = {
            STATE_KEY_ATTRIBUTE: {"S": self.key},
            "memory": {"S": memory.model_dump_json()},
            "version": {"N": str(new)},
            "state": {"S": memory.state.value},
        }
        if self.version is None:
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": {"#id": STATE_KEY_ATTRIBUTE},
            }
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(self.version)}},
            }
        try:
            with port_errors(f"breaker state: PutItem {self.key} in {self.table}"):
                self.ddb.put_item(TableName=self.table, Item=item, **condition)
        except PortError as exc:
            if error_code(exc.__cause__ or exc) == "ConditionalCheckFailedException":
                raise PortError(
                    f"breaker state {self.table}/{self.key} was changed by another writer since it was read "
                    "(another replica or an operator's override); not saved, the next reconcile re-reads it"
                ) from None
            raise
        self.version = new


def parse_knob(name: str, raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} = {raw!r}, expected a finite number >= 0")
    return value


class SsmKnobs:
    """Flag knobs as SSM String parameters ``<prefix>/<knob>``; missing ones read as the normal value."""

    def __init__(self, clients: AwsClients, region: str, prefix: str, policy: BreakerPolicy) -> None:
        self.ssm = clients.client("ssm", region)
        self.prefix = prefix.rstrip("/")
        self.defaults = {d.knob.value: d.normal for d in policy.degradations if d.knob != Knob.SPOT_BURST_SHARE}

    def parameter(self, knob: str) -> str:
        return f"{self.prefix}/{knob}"

    def read_knobs(self) -> dict[str, float]:
        names = [self.parameter(k) for k in self.defaults]
        with port_errors(f"SSM GetParameters under {self.prefix}"):
            found = self.ssm.get_parameters(Names=names)["Parameters"] if names else []
            stored = {p["Name"].rsplit("/", 1)[1]: parse_knob(p["Name"], p["Value"]) for p in found}
        return {**self.defaults, **{k: v for k, v in stored.items() if k in self.defaults}}

    def set_knob(self, knob: str, value: float, *, dry_run: bool) -> None:
        if knob not in self.defaults:
            raise PortError(f"unknown flag knob {knob!r} (known: {sorted(self.defaults)})")
        if dry_run:
            return
        with port_errors(f"SSM PutParameter {self.parameter(knob)}"):
            self.ssm.put_parameter(Name=self.parameter(knob), Value=f"{value:g}", Type="String", Overwrite=True)


class AsgSpotCapKnobs:
    """``spot_burst_share`` through the GPU groups' MaxSize (all groups or none); other knobs to ``flags``."""

    def __init__(self, clients: AwsClients, groups: Sequence[SpotGroup], flags: KnobActuator) -> None:
        self.clients = clients
        self.groups = {g.name: g for g in groups}
        self.flags = flags

    def read_knobs(self) -> dict[str, float]:
        values = self.flags.read_knobs()
        shares = [self.share(self.groups[name], group) for name, group in self.describe().items()]
        values[Knob.SPOT_BURST_SHARE.value] = min(shares, default=1.0)
        return values

    def set_knob(self, knob: str, value: float, *, dry_run: bool) -> None:
        if knob != Knob.SPOT_BURST_SHARE:
            self.flags.set_knob(knob, value, dry_run=dry_run)
            return
        if not 0 <= value <= 1:
            raise PortError(f"spot_burst_share must be within [0, 1], got {value}")
        current = self.describe()
        updates = [self.capped(self.groups[n], g, value) for n, g in current.items()]
        changes = [u for u in updates if u is not None]
        if dry_run:
            return
        done: list[str] = []
        for update in changes:
            try:
                self.update(update)
            except PortError as exc:
                put_back = self.put_back({name: current[name] for name in done})
                raise PortError(f"{exc}; put back {put_back} of {len(done)} group(s) already changed") from None
            done.append(update["AutoScalingGroupName"])

    def snapshot(self) -> tuple[dict[str, dict[str, int]], dict[str, float]]:
        """Every group's sizes and the flag values, to put back exactly if an apply fails part-way."""
        return self.describe(), self.flags.read_knobs()

    def restore(self, snapshot: tuple[dict[str, dict[str, int]], dict[str, float]]) -> str:
        groups, flags = snapshot
        restored = self.put_back(groups)
        flags_failed = []
        for knob, value in flags.items():
            try:
                self.flags.set_knob(knob, value, dry_run=False)
            except PortError as exc:
                flags_failed.append(f"{knob} ({exc})")
        text = f"{restored} of {len(groups)} group(s), {len(flags) - len(flags_failed)} of {len(flags)} flag(s)"
        return text + (f"; not {flags_failed}" if flags_failed else "")

    @staticmethod
    def share(spec: SpotGroup, group: Mapping[str, Any]) -> float:
        room = spec.max_size - spec.on_demand_base
        return 1.0 if room <= 0 else min(1.0, max(0.0, (int(group["MaxSize"]) - spec.on_demand_base) / room))

    @staticmethod
    def capped(spec: SpotGroup, group: Mapping[str, Any], share: float) -> dict[str, Any] | None:
        cap = max(int(group["MinSize"]), spec.on_demand_base + int(share * max(0, spec.max_size - spec.on_demand_base)))
        if cap == int(group["MaxSize"]) and int(group["DesiredCapacity"]) <= cap:
            return None
        update: dict[str, Any] = {"AutoScalingGroupName": spec.name, "MaxSize": cap, "region": spec.region}
        if int(group["DesiredCapacity"]) > cap:
            update["DesiredCapacity"] = cap
        return update

    def update(self, update: Mapping[str, Any]) -> None:
        args = {k: v for k, v in update.items() if k != "region"}
        asg = self.clients.client("autoscaling", update["region"])
        with port_errors(f"Auto Scaling UpdateAutoScalingGroup {args['AutoScalingGroupName']} in {update['region']}"):
            asg.update_auto_scaling_group(**args)

    def put_back(self, sizes: Mapping[str, Mapping[str, int]]) -> int:
        """Set each named group's MaxSize and DesiredCapacity back; returns how many it could."""
        restored = 0
        for name, group in sizes.items():
            restore = {
                "AutoScalingGroupName": name,
                "region": self.groups[name].region,
                "MaxSize": int(group["MaxSize"]),
                "DesiredCapacity": int(group["DesiredCapacity"]),
            }
            try:
                self.update(restore)
            except PortError:
                continue
            restored += 1
        return restored

    def describe(self) -> dict[str, dict[str, int]]:
        """Each configured group's current sizes, by name; a group AWS does not know is a PortError."""
        found: dict[str, dict[str, int]] = {}
        by_region: dict[str, list[str]] = {}
        for g in self.groups.values():
            by_region.setdefault(g.region, []).append(g.name)
        for region, names in sorted(by_region.items()):
            asg = self.clients.client("autoscaling", region)
            with port_errors(f"Auto Scaling DescribeAutoScalingGroups in {region}"):
                for g in asg.describe_auto_scaling_groups(AutoScalingGroupNames=names)["AutoScalingGroups"]:
                    found[g["AutoScalingGroupName"]] = {k: int(g[k]) for k in ("MinSize", "MaxSize", "DesiredCapacity")}
        missing = sorted(set(self.groups) - set(found))
        if missing:
            raise PortError(f"Auto Scaling groups not found: {missing} (breaker settings spot_groups)")
        return found


def aws_breaker_ports(
    settings: AwsBreakerSettings, clients: AwsClients, metrics: MetricsSource, policy: BreakerPolicy
) -> BreakerPorts:
    """The breaker's ports on AWS: telemetry from ``metrics``, everything else where ``settings`` say."""
    flags = SsmKnobs(clients, settings.region, settings.flag_prefix, policy)
    alerts = None
    if settings.budget_alert_queue is not None:
        alerts = SqsBudgetAlerts(settings.budget_alert_queue, region=settings.region, clients=clients)
    return BreakerPorts(
        metrics=metrics,
        knobs=AsgSpotCapKnobs(clients, settings.spot_groups, flags),
        store=DynamoBreakerStore(clients, settings.region, settings.state_table, settings.state_key),
        notifier=SnsNotifier(settings.topics, region=settings.region, clients=clients),
        budget_alerts=alerts,
    )
