"""The predictive scaler as a controller the runner drives: observe through ports, decide, apply.

``observe`` reads the mention and view streams and each resource's capacity and demand through the
ports (any backend: sandbox, AWS + Kubernetes + Prometheus) and turns anything malformed into
:class:`PortError`; ``decide`` is ``decide.decide`` plus remembering the forecaster's state;
``apply`` calls the actuators with ``dry_run`` passed through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from controllers.predictive.decide import CONTROLLER, decide
from controllers.predictive.models import (
    CapacityChange,
    CurrentCapacity,
    Observation,
    PredictiveConfig,
    PredictiveDecision,
    ResourceKind,
    ResourceSpec,
    ScalerState,
    VideoSignal,
)
from ports.interfaces import DeploymentActuator, FaultInjector, MetricsSource, PortError, TableActuator
from ports.metrics import SignalName
from ports.types import BillingMode, FaultKind, Sample, TableState


@dataclass(frozen=True)
class ScalerPorts:
    """The ports the scaler needs; any may come from any backend."""

    metrics: MetricsSource
    tables: TableActuator | None = None
    deployments: DeploymentActuator | None = None
    faults: FaultInjector | None = None
    az_regions: Mapping[str, str] = field(default_factory=dict)


def checked_value(sample: Sample, signal: SignalName) -> float:
    """A sample's value, or PortError when it is NaN, infinite or negative."""
    if not math.isfinite(sample.value) or sample.value < 0:
        raise PortError(f"{signal}: malformed value {sample.value!r} for {sample.labels}")
    return sample.value


def read_by_video(metrics: MetricsSource, signal: SignalName) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for sample in metrics.read(signal):
        video, region = sample.labels.get("video_id"), sample.labels.get("region")
        if not video or not region:
            raise PortError(f"{signal}: sample without video_id/region labels: {sample.labels}")
        out[(video, region)] = out.get((video, region), 0.0) + checked_value(sample, signal)
    return out


def observe_videos(metrics: MetricsSource) -> tuple[VideoSignal, ...]:
    mentions = read_by_video(metrics, SignalName.MENTIONS_PER_MIN)
    views = read_by_video(metrics, SignalName.VIEWS_PER_MIN)
    return tuple(
        VideoSignal(
            video_id=v, region=r, mentions_per_min=mentions.get((v, r), 0.0), views_per_min=views.get((v, r), 0.0)
        )
        for v, r in sorted(set(mentions) | set(views))
    )


def region_rate(metrics: MetricsSource, signal: SignalName, region: str) -> float:
    return sum(checked_value(s, signal) for s in metrics.read(signal, {"region": region}))


def table_capacity(spec: ResourceSpec, tables: Sequence[TableState]) -> CurrentCapacity:
    for t in tables:
        if t.table == spec.name and t.region == spec.region:
            return CurrentCapacity(
                key=spec.key,
                units=t.write_capacity_units,
                demand_per_min=t.consumed_write_units * 60,
                warm_units=t.warm_write_units,
                warm_read_units=t.warm_read_units,
                on_demand=t.mode is BillingMode.ON_DEMAND,
            )
    raise PortError(f"table {spec.name} not found in {spec.region}")


def impaired_regions(ports: ScalerPorts) -> frozenset[str]:
    if ports.faults is None:
        return frozenset()
    downs = [f.target for f in ports.faults.active_faults() if f.kind is FaultKind.AZ_DOWN]
    return frozenset(ports.az_regions.get(az, az[:-1]) for az in downs)


class PredictiveScaler:
    """Pre-scales tables and deployments ahead of social-signal surges."""

    name = CONTROLLER

    def __init__(self, config: PredictiveConfig) -> None:
        self.config = config
        self.state = ScalerState()

    def observe(self, ports: ScalerPorts, now: float) -> Observation:
        capacity: dict[str, CurrentCapacity] = {}
        tables: dict[str, Sequence[TableState]] = {}
        for spec in self.config.resources:
            if spec.kind is ResourceKind.DEPLOYMENT and ports.deployments is not None:
                views = region_rate(ports.metrics, SignalName.VIDEO_STARTS_PER_MIN, spec.region)
                replicas = ports.deployments.get_replicas(spec.name, spec.region)
                capacity[spec.key] = CurrentCapacity(
                    key=spec.key, units=replicas, demand_per_min=views * spec.per_event
                )
            elif spec.kind is not ResourceKind.DEPLOYMENT and ports.tables is not None:
                if spec.region not in tables:
                    tables[spec.region] = ports.tables.describe_tables(spec.region)
                capacity[spec.key] = table_capacity(spec, tables[spec.region])
        return Observation(
            at=now,
            videos=observe_videos(ports.metrics),
            capacity=capacity,
            impaired_regions=impaired_regions(ports),
            state=self.state,
        )

    def decide(self, observation: Observation, now: float) -> PredictiveDecision:
        decision = decide(observation, self.config, now)
        self.state = decision.state
        return decision

    def apply(self, decision: PredictiveDecision, ports: ScalerPorts, *, dry_run: bool) -> None:
        """Apply every change; one refused change does not stop the others, and all refusals are reported."""
        failed: list[str] = []
        for change in decision.changes:
            try:
                apply_change(change, ports, dry_run=dry_run)
            except PortError as exc:
                failed.append(f"{change.resource.key} -> {change.units}: {exc}")
        if failed:
            raise PortError(f"{len(failed)} of {len(decision.changes)} changes failed: " + "; ".join(failed))


def apply_change(change: CapacityChange, ports: ScalerPorts, *, dry_run: bool) -> None:
    spec = change.resource
    if spec.kind is ResourceKind.DEPLOYMENT:
        if ports.deployments is None:
            raise PortError(f"no deployment actuator for {spec.key}")
        ports.deployments.set_replicas(spec.name, spec.region, change.units, dry_run=dry_run)
        return
    if ports.tables is None:
        raise PortError(f"no table actuator for {spec.key}")
    if spec.kind is ResourceKind.TABLE_WARM:
        ports.tables.set_warm_throughput(spec.name, spec.region, change.units, change.read_units, dry_run=dry_run)
    else:
        ports.tables.set_provisioned_capacity(spec.name, spec.region, change.units, change.read_units, dry_run=dry_run)
