"""In-process implementations of every port (ports/interfaces.py) over a running Sandbox.

Controllers, chaos probes and war games use these exactly as they use the AWS, Kubernetes and
Prometheus adapters: same methods, same types, same errors (PortError on backend faults,
CrossJurisdictionError when an action would cross a jurisdiction), and ``dry_run`` honoured here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ports.interfaces import CrossJurisdictionError, PortError
from ports.types import (
    BillingMode,
    FaultSpec,
    PoolState,
    RouteAction,
    RoutingRecord,
    TableState,
    WarmRequest,
)
from sandbox.signals import SandboxMetrics

if TYPE_CHECKING:
    from sandbox.engine import Sandbox


class Actuator:
    """Shared guards: API throttling faults and jurisdiction checks."""

    name = "actuator"

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def guard_api(self) -> None:
        if self.sb.faults.throttles(self.name):
            raise PortError(f"{self.name}: API throttled (api_throttle fault)")

    def refuse(self, jurisdiction: str, message: str) -> CrossJurisdictionError:
        if jurisdiction in self.sb.jurisdiction_names:
            self.sb.guard_trips[self.sb.jurisdiction_names.index(jurisdiction)] += 1
        return CrossJurisdictionError(message)

    def region_of(self, region: str) -> int:
        if region not in self.sb.region_names:
            raise PortError(f"unknown region {region!r}; expected one of {self.sb.region_names}")
        return self.sb.region_names.index(region)


class SandboxPools(Actuator):
    """PoolActuator over the model's Auto Scaling groups."""

    name = "pools"

    def describe_pools(self, jurisdiction: str | None = None) -> Sequence[PoolState]:
        self.guard_api()
        now = self.sb.clock.now()
        return [
            PoolState(
                pool=p.spec.name,
                region=p.spec.region,
                jurisdiction=p.jurisdiction,
                queue_depth=round(p.depth),
                running=p.running,
                starting=p.starting_count,
                desired=p.desired,
                min_size=p.spec.min_size,
                max_size=p.spec.max_size,
                quota_instances=p.quota,
                in_flight=round(p.in_flight),
                idle_seconds=max(self.sb.now - p.last_work, 0.0),
                observed_at=now,
            )
            for p in self.sb.pools.pools
            if jurisdiction is None or p.jurisdiction == jurisdiction
        ]

    def set_desired_capacity(self, pool: str, desired: int, *, dry_run: bool) -> None:
        self.guard_api()
        p = self.sb.pools.by_name.get(pool)
        if p is None:
            raise PortError(f"unknown pool {pool!r}; expected one of {sorted(self.sb.pools.by_name)}")
        if not p.spec.min_size <= desired <= p.spec.max_size:
            raise PortError(f"{pool}: desired {desired} outside [{p.spec.min_size}, {p.spec.max_size}]")
        if not dry_run:
            p.desired = desired


class SandboxTables(Actuator):
    """TableActuator: warm throughput (asynchronous, only up) and provisioned capacity (UpdateTable)."""

    name = "tables"

    def cell(self, table: str, region: str) -> tuple[int, int]:
        if table not in self.sb.table_names:
            raise PortError(f"unknown table {table!r}; the sandbox models {self.sb.table_names}")
        return self.region_of(region), self.sb.table_names.index(table)

    def describe_tables(self, region: str | None = None) -> Sequence[TableState]:
        self.guard_api()
        tg, now = self.sb.tables, self.sb.clock.now()
        cap = tg.capacity()
        return [
            TableState(
                table=t,
                region=r,
                mode=BillingMode.PROVISIONED if tg.provisioned[i, k] else BillingMode.ON_DEMAND,
                write_capacity_units=float(cap[i, k]),
                warm_write_units=float(max(tg.warm[i, k], tg.warm_target[i, k])),  # as DescribeTable: asked
                warm_read_units=float(tg.warm_read[i, k]),
                consumed_write_units=float(tg.consumed[i, k]),
                observed_at=now,
            )
            for i, r in enumerate(self.sb.region_names)
            for k, t in enumerate(self.sb.table_names)
            if region is None or r == region
        ]

    def set_warm_throughput(
        self, table: str, region: str, write_units_per_s: int, read_units_per_s: int, *, dry_run: bool
    ) -> None:
        self.guard_api()
        i, k = self.cell(table, region)
        current = max(self.sb.tables.warm[i, k], self.sb.tables.warm_target[i, k])
        if write_units_per_s < current:
            raise PortError(f"{table}@{region}: warm throughput cannot be lowered ({current:g} -> {write_units_per_s})")
        if not dry_run and write_units_per_s > current:
            self.sb.tables.request_warm(i, k, float(write_units_per_s), float(read_units_per_s), self.sb.now)

    def set_provisioned_capacity(
        self, table: str, region: str, write_units: int, read_units: int, *, dry_run: bool
    ) -> None:
        self.guard_api()
        i, k = self.cell(table, region)
        tg = self.sb.tables
        if tg.updating()[i, k]:
            raise PortError(f"{table}@{region}: an update is in progress (ResourceInUseException)")
        if write_units <= 0:
            raise PortError(f"{table}@{region}: write units must be > 0, got {write_units}")
        if dry_run:
            return
        mask = np.zeros(tg.wcu.shape, dtype=bool)
        mask[i, k] = True
        if not tg.provisioned[i, k]:
            tg.wcu[i, k] = tg.capacity()[i, k]
            tg.provisioned[i, k] = True
        if write_units <= tg.warm[i, k]:
            tg.wcu[i, k] = float(write_units)
        else:
            tg.request_update(mask, np.full(tg.wcu.shape, float(write_units)), self.sb.now)


class SandboxDeployments(Actuator):
    """DeploymentActuator: app services per region; playback-api replicas are serving capacity."""

    name = "deployments"

    def key(self, service: str, region: str) -> tuple[str, str]:
        self.region_of(region)
        if service not in self.sb.services:
            raise PortError(f"unknown service {service!r}; expected one of {sorted(self.sb.services)}")
        return service, region

    def get_replicas(self, service: str, region: str) -> int:
        self.guard_api()
        s, r = self.key(service, region)
        if s == "playback-api":
            return int(self.sb.fleet.desired_replicas(self.sb.region_names.index(r)))
        return int(self.sb.service_replicas[(s, r)])

    def set_replicas(self, service: str, region: str, replicas: int, *, dry_run: bool) -> None:
        self.guard_api()
        s, r = self.key(service, region)
        if replicas < 0:
            raise PortError(f"{service}@{region}: replicas must be >= 0, got {replicas}")
        if dry_run:
            return
        if s == "playback-api":
            self.sb.fleet.set_replicas(self.sb.region_names.index(r), float(replicas), self.sb.now)
        else:
            self.sb.service_replicas[(s, r)] = float(replicas)


class SandboxRouter(Actuator):
    """RouterStore: places one encode job, after re-checking its jurisdiction (defence in depth)."""

    name = "router"

    def submit(self, record: RoutingRecord, *, dry_run: bool) -> None:
        self.guard_api()
        sb = self.sb
        if record.jurisdiction not in sb.jurisdiction_names:
            raise PortError(f"unknown jurisdiction {record.jurisdiction!r}")
        region_jur = sb.spec.regions[record.region].jurisdiction if record.region in sb.spec.regions else None
        if region_jur != record.jurisdiction:
            raise self.refuse(record.jurisdiction, f"job {record.job_id}: region {record.region} is not in "
                              f"jurisdiction {record.jurisdiction}")  # fmt: skip
        pool = sb.pools.by_name.get(record.pool) if record.pool else None
        if record.pool and pool is None:
            raise PortError(f"unknown pool {record.pool!r}")
        if pool is not None and pool.jurisdiction != record.jurisdiction:
            raise self.refuse(record.jurisdiction, f"job {record.job_id}: pool {pool.spec.name} serves "
                              f"{pool.jurisdiction}, not {record.jurisdiction}")  # fmt: skip
        if dry_run:
            return
        key = (record.jurisdiction, record.action.value)
        sb.router_decisions[key] = sb.router_decisions.get(key, 0.0) + 1
        sb.uploads[sb.jurisdiction_names.index(record.jurisdiction)] += 1
        if record.action in (RouteAction.HOME, RouteAction.OVERFLOW) and pool is not None:
            sb.pools.enqueue(pool, 1.0, sb.now)
        elif record.action == RouteAction.CPU_FALLBACK:
            home, _ = sb.pools.pools_of(record.jurisdiction)
            j = sb.jurisdiction_names.index(record.jurisdiction)
            sb.pools.cpu_fallback_seconds += home.spec.cpu_fallback_seconds
            sb.pools.record_live(j, home.spec.cpu_fallback_seconds, 1.0)


class SandboxWarmer(Actuator):
    """CacheWarmer: pre-warms shields inside the video's jurisdiction only."""

    name = "warmer"

    def warm(self, request: WarmRequest, *, dry_run: bool) -> None:
        self.guard_api()
        sb = self.sb
        if request.jurisdiction not in sb.jurisdiction_names:
            raise PortError(f"unknown jurisdiction {request.jurisdiction!r}")
        for shield in request.shields:
            owner = sb.spec.regions[shield].jurisdiction if shield in sb.spec.regions else None
            if owner != request.jurisdiction:
                raise self.refuse(request.jurisdiction, f"video {request.video_id}: shield {shield} is outside "
                                  f"jurisdiction {request.jurisdiction}")  # fmt: skip
        if not dry_run:
            sb.cdn.record_warm(sb.jurisdiction_names.index(request.jurisdiction), 1.0)


class SandboxFaults:
    """FaultInjector over the model (ValueError from a bad target becomes PortError)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def inject(self, fault: FaultSpec) -> str:
        try:
            return self.sb.faults.inject(fault)
        except ValueError as exc:
            raise PortError(str(exc)) from None

    def clear(self, fault_id: str) -> None:
        self.sb.faults.clear(fault_id)

    def active_faults(self) -> Sequence[FaultSpec]:
        return self.sb.faults.specs()


class SandboxPorts:
    """Every port over one sandbox: ``metrics``, ``pools``, ``tables``, ``deployments``, ``router``,
    ``warmer``, ``faults`` and ``clock``."""

    def __init__(self, sb: Sandbox) -> None:
        self.clock = sb.clock
        self.metrics = SandboxMetrics(sb)
        self.pools = SandboxPools(sb)
        self.tables = SandboxTables(sb)
        self.deployments = SandboxDeployments(sb)
        self.router = SandboxRouter(sb)
        self.warmer = SandboxWarmer(sb)
        self.faults = SandboxFaults(sb)
