"""Where ``ops controllers run`` runs the controllers: the embedded sandbox (default) or AWS.

Each backend builds, per controller name, a :class:`Runner` with that controller and the ports it
needs, sharing one audit log and one metrics registry. On the sandbox, the loop's clock steps the
model (``SandboxLoopClock.sleep`` advances model time), so the same ``run_together`` loop that
sleeps in production runs a scenario in fast time. On AWS: Prometheus for signals, DynamoDB +
CloudWatch for tables, Kubernetes for Deployments and the Lease, SQS + Auto Scaling for pools; the
budget breaker keeps its memory in DynamoDB, its flag knobs in SSM, caps spot burst through the GPU
groups' MaxSize and notifies through the budget SNS topics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controllers.predictive.configuring import build_config
from controllers.predictive.scaling import PredictiveScaler, ScalerPorts
from controllers.runtime.auditing import AuditLog
from controllers.runtime.exporting import ControllerMetrics
from controllers.runtime.leasing import LeaseGate
from controllers.runtime.running import Runner
from controllers.strategies import sandbox_scaler_ports
from sandbox.engine import Sandbox
from sandbox.running import NoControl, drive
from stacks.model import PlatformModel

CONTROLLER_NAMES = ("predictive", "pool-scaler", "breaker")


class SandboxLoopClock:
    """The loop's clock on the sandbox: ``now`` is model time; ``sleep`` steps the model that long."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def now(self) -> float:
        return self.sandbox.clock.now()

    def sleep(self, seconds: float) -> None:
        ticks = max(1, round(seconds / self.sandbox.dt)) if seconds > 0 else 0
        drive(self.sandbox, NoControl(), until_tick=self.sandbox.tick + ticks)

    @property
    def finished(self) -> bool:
        return self.sandbox.tick >= self.sandbox.ticks


@dataclass
class Shared:
    """What every runner of one ``ops controllers run`` shares."""

    dry_run: bool
    interval_s: float
    audit: AuditLog
    metrics: ControllerMetrics = field(default_factory=ControllerMetrics)
    lease: LeaseGate | None = None
    shadow: bool = False  # the predictive scaler forecasts and scores itself, changes nothing

    def runner(self, controller: Any, ports: Any, clock: Any) -> Runner[Any]:
        return Runner(
            [controller],
            ports,
            clock=clock,
            interval_s=self.interval_s,
            dry_run=self.dry_run,
            audit=self.audit,
            metrics=self.metrics,
            lease=self.lease,
        )


def sandbox_runners(sb: Sandbox, names: Sequence[str], shared: Shared) -> list[Runner[Any]]:
    """Runners for the named controllers over the sandbox's in-process ports."""
    clock = SandboxLoopClock(sb)
    runners: list[Runner[Any]] = []
    if "predictive" in names:
        config = build_config(sb.stacks, tables=sb.table_names, shadow=shared.shadow)
        runners.append(shared.runner(PredictiveScaler(config), sandbox_scaler_ports(sb), clock))
    if "pool-scaler" in names:
        from controllers.pool_scaling.scaling import PoolScaler

        runners.append(shared.runner(PoolScaler.from_platforms(sb.stacks), sb.ports, clock))
    if "breaker" in names:
        runners.append(sandbox_breaker(sb, shared, clock))
    return runners


def sandbox_breaker(sb: Sandbox, shared: Shared, clock: SandboxLoopClock) -> Runner[Any]:
    from controllers.breaker.adapters import MemoryBreakerStore, MemoryNotifier
    from controllers.breaker.breaking import BreakerPorts, build_breaker
    from controllers.breaker.sandbox_adapters import SandboxKnobs

    platforms = [*sb.stacks, *([sb.global_model] if sb.global_model is not None else [])]
    breaker = build_breaker(platforms)
    knobs = SandboxKnobs(sb, breaker.config.policy)
    ports = BreakerPorts(metrics=sb.ports.metrics, knobs=knobs, store=MemoryBreakerStore(), notifier=MemoryNotifier())
    return shared.runner(breaker, ports, clock)


@dataclass(frozen=True)
class AwsEndpoints:
    """Where the real backends are (none of them is reachable from this machine without credentials)."""

    prometheus_url: str
    aws_endpoint_url: str | None = None
    kube_hosts: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0
    breaker_settings: Path | None = None  # YAML overriding the breaker's AWS names (aws_adapters.load_settings)


def aws_runners(
    platforms: Sequence[PlatformModel], names: Sequence[str], shared: Shared, endpoints: AwsEndpoints, clock: Any
) -> list[Runner[Any]]:
    """Runners for the named controllers over Prometheus, DynamoDB/CloudWatch, Kubernetes, Auto Scaling,
    and for the breaker SSM, SNS and its DynamoDB state item. Raises ValueError on bad breaker settings."""
    from controllers.adapters.dynamodb import DynamoTables, region_clients
    from controllers.adapters.kube import KubeDeployments, api_client
    from controllers.adapters.prometheus import PrometheusMetrics

    runners: list[Runner[Any]] = []
    stacks = [p for p in platforms if p.settings.kind == "jurisdiction"]
    metrics = PrometheusMetrics(endpoints.prometheus_url, timeout_s=endpoints.timeout_s)
    if "predictive" in names:
        config = build_config(stacks, shadow=shared.shadow)
        regions = sorted({r.region for r in config.resources})
        tables = sorted({r.name for r in config.resources if r.kind != "deployment"})
        clients = region_clients(regions, endpoint_url=endpoints.aws_endpoint_url, timeout_s=endpoints.timeout_s)
        kube = {r: api_client(h) for r, h in endpoints.kube_hosts.items()}
        azs = {az: name for p in stacks for name, region in p.regions.items() for az in region.azs}
        ports = ScalerPorts(
            metrics=metrics,
            tables=DynamoTables(clients, tables),
            deployments=KubeDeployments(kube, timeout_s=endpoints.timeout_s) if kube else None,
            az_regions=azs,
        )
        runners.append(shared.runner(PredictiveScaler(config), ports, clock))
    if "pool-scaler" in names:
        runners.append(aws_pool_runner(stacks, shared, endpoints, clock))
    if "breaker" in names:
        runners.append(aws_breaker_runner(platforms, shared, endpoints, clock, metrics))
    return runners


def aws_breaker_runner(
    platforms: Sequence[PlatformModel], shared: Shared, endpoints: AwsEndpoints, clock: Any, metrics: Any
) -> Runner[Any]:
    """The budget breaker over Prometheus telemetry, its state in DynamoDB, knobs in SSM + Auto Scaling, SNS."""
    from controllers.adapters.aws import AwsClients, client_config
    from controllers.breaker.aws_adapters import aws_breaker_ports, load_settings
    from controllers.breaker.breaking import build_breaker

    settings = load_settings(endpoints.breaker_settings, platforms)
    breaker = build_breaker(platforms)
    clients = AwsClients.at(endpoints.aws_endpoint_url, client_config(endpoints.timeout_s))
    return shared.runner(breaker, aws_breaker_ports(settings, clients, metrics, breaker.config.policy), clock)


@dataclass(frozen=True)
class PoolPortsBundle:
    pools: Any


def aws_pool_runner(
    stacks: Sequence[PlatformModel], shared: Shared, endpoints: AwsEndpoints, clock: Any
) -> Runner[Any]:
    from controllers.adapters.aws import AwsClients
    from controllers.pool_scaling.adapters import AwsPoolActuator, bindings_from_platform
    from controllers.pool_scaling.scaling import PoolScaler

    bindings = [b for p in stacks for b in bindings_from_platform(p, {}, {})]
    clients = AwsClients.at(endpoints.aws_endpoint_url)
    ports = PoolPortsBundle(pools=AwsPoolActuator(bindings, clock, clients))
    return shared.runner(PoolScaler.from_platforms(stacks), ports, clock)
