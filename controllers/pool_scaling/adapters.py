"""GPU pools on AWS: SQS encode-queue depth + Auto Scaling group capacity, as a ``PoolActuator``.

Observes each pool's encode queue (``ApproximateNumberOfMessages`` visible, ``...NotVisible`` in
flight) and its mixed-instances Auto Scaling group (desired/min/max; instances Pending*, or
InService but launched less than ``startup_seconds`` ago, count as *starting*: they do not take
jobs yet, and counting them is what stops the scaler launching twice). Acts with
``SetDesiredCapacity``. Every backend fault (throttling, timeouts, refused calls, malformed
answers) becomes ``PortError`` and nothing is half-applied: one call per pool change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from controllers.adapters.aws import AwsClients, port_errors
from ports.interfaces import Clock, CrossJurisdictionError, PortError
from ports.types import PoolState
from stacks.model import PlatformModel

__all__ = ["AwsClients", "AwsPoolActuator", "PoolBinding", "bindings_from_platform", "port_errors"]

PENDING_STATES = frozenset({"Pending", "Pending:Wait", "Pending:Proceed"})


class PoolBinding(BaseModel):
    """Where a pool lives in AWS. Names come from the stack outputs (``group_name``, queue name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    pool: str
    region: str
    jurisdiction: str
    asg_name: str
    queue_name: str
    quota_instances: int = Field(ge=0)
    startup_seconds: float = Field(default=180, ge=0)


def bindings_from_platform(
    platform: PlatformModel, asg_names: Mapping[str, str], queue_names: Mapping[str, str]
) -> list[PoolBinding]:
    """Bindings for a jurisdiction stack's pools, given the deployed group and queue names."""
    jurisdiction = platform.settings.jurisdiction or ""
    return [
        PoolBinding(
            pool=p.name,
            region=p.region,
            jurisdiction=jurisdiction,
            asg_name=asg_names.get(p.name, p.name),
            queue_name=queue_names.get(p.name, f"{p.name}-encode"),
            quota_instances=platform.regions[p.region].gpu_vcpu_quota // p.vcpus_per_instance,
            startup_seconds=p.startup_seconds,
        )
        for p in platform.settings.pools
    ]


def parse_count(attributes: Mapping[str, str], name: str) -> int:
    value = float(attributes[name])
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValueError(f"{name} = {attributes[name]!r}, expected a non-negative integer")
    return int(value)


class AwsPoolActuator:
    """``PoolActuator`` over SQS + Auto Scaling (+ EC2 launch times)."""

    def __init__(self, bindings: Sequence[PoolBinding], clock: Clock, clients: AwsClients | None = None) -> None:
        self.bindings = {b.pool: b for b in bindings}
        self.clock = clock
        self.clients = clients or AwsClients()
        self._queue_urls: dict[str, str] = {}
        self._last_work: dict[str, float] = {}

    def describe_pools(self, jurisdiction: str | None = None) -> Sequence[PoolState]:
        return [self.describe_pool(b) for b in self.bindings.values() if jurisdiction in (None, b.jurisdiction)]

    def describe_pool(self, binding: PoolBinding) -> PoolState:
        now = self.clock.now()
        visible, in_flight = self.queue_counts(binding)
        group = self.group(binding)
        running, starting = self.count_instances(binding, group, now)
        if visible or in_flight or binding.pool not in self._last_work:
            self._last_work[binding.pool] = now
        with port_errors(f"pool {binding.pool}: Auto Scaling group {binding.asg_name}"):
            return PoolState(
                pool=binding.pool,
                region=binding.region,
                jurisdiction=binding.jurisdiction,
                queue_depth=visible,
                running=running,
                starting=starting,
                desired=int(group["DesiredCapacity"]),
                min_size=int(group["MinSize"]),
                max_size=int(group["MaxSize"]),
                quota_instances=binding.quota_instances,
                in_flight=in_flight,
                idle_seconds=max(0.0, now - self._last_work[binding.pool]),
                observed_at=now,
            )

    def queue_counts(self, binding: PoolBinding) -> tuple[int, int]:
        sqs = self.clients.client("sqs", binding.region)
        with port_errors(f"pool {binding.pool}: SQS queue {binding.queue_name}"):
            if binding.pool not in self._queue_urls:
                self._queue_urls[binding.pool] = sqs.get_queue_url(QueueName=binding.queue_name)["QueueUrl"]
            attrs = sqs.get_queue_attributes(
                QueueUrl=self._queue_urls[binding.pool],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            return parse_count(attrs, "ApproximateNumberOfMessages"), parse_count(
                attrs, "ApproximateNumberOfMessagesNotVisible"
            )

    def group(self, binding: PoolBinding) -> dict[str, Any]:
        asg = self.clients.client("autoscaling", binding.region)
        with port_errors(f"pool {binding.pool}: Auto Scaling group {binding.asg_name}"):
            groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[binding.asg_name])["AutoScalingGroups"]
            if len(groups) != 1:
                raise PortError(f"pool {binding.pool}: Auto Scaling group {binding.asg_name} not found")
            group: dict[str, Any] = groups[0]
            return group

    def count_instances(self, binding: PoolBinding, group: Mapping[str, Any], now: float) -> tuple[int, int]:
        """(running, starting): Pending*, or InService for less than the pool's start-up time, is starting."""
        with port_errors(f"pool {binding.pool}: instances of {binding.asg_name}"):
            states = {i["InstanceId"]: i["LifecycleState"] for i in group.get("Instances", [])}
            in_service = [i for i, s in states.items() if s == "InService"]
            pending = sum(1 for s in states.values() if s in PENDING_STATES)
            launched = self.launch_times(binding, in_service)
            young = sum(1 for t in launched.values() if now - t < binding.startup_seconds)
            return len(in_service) - young, pending + young

    def launch_times(self, binding: PoolBinding, instance_ids: Sequence[str]) -> dict[str, float]:
        if not instance_ids:
            return {}
        ec2 = self.clients.client("ec2", binding.region)
        times: dict[str, float] = {}
        for reservation in ec2.describe_instances(InstanceIds=list(instance_ids))["Reservations"]:
            for instance in reservation["Instances"]:
                launched = instance["LaunchTime"]
                if not isinstance(launched, datetime):
                    raise TypeError(f"LaunchTime {launched!r} is not a timestamp")
                times[instance["InstanceId"]] = launched.timestamp()
        return times

    def set_desired_capacity(self, pool: str, desired: int, *, dry_run: bool) -> None:
        binding = self.bindings.get(pool)
        if binding is None:
            raise CrossJurisdictionError(f"pool {pool} is not bound to this actuator; refusing to act")
        if desired < 0:
            raise PortError(f"pool {pool}: desired capacity {desired} < 0")
        if dry_run:
            return
        asg = self.clients.client("autoscaling", binding.region)
        with port_errors(f"pool {pool}: SetDesiredCapacity({desired}) on {binding.asg_name}"):
            asg.set_desired_capacity(
                AutoScalingGroupName=binding.asg_name, DesiredCapacity=desired, HonorCooldown=False
            )
