"""Typed interfaces (Protocols) that every backend implements: sandbox, AWS, Kubernetes, Prometheus.

Decision code depends on these, never on boto3 or the sandbox. Each method either returns data or
raises :class:`PortError` (metrics down, API throttled, malformed data): callers hold their last
good decision on PortError. Actuators take ``dry_run`` so that the guard against acting lives in one
place per backend, and they refuse cross-jurisdiction actions themselves (defence in depth).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from ports.metrics import SignalName
from ports.types import (
    FaultSpec,
    PoolState,
    RoutingRecord,
    Sample,
    TableState,
    WarmRequest,
)


class PortError(Exception):
    """A backend could not observe or act (timeout, throttling, malformed or missing data)."""


class CrossJurisdictionError(PortError):
    """An actuator was asked to act outside the jurisdiction it serves; it refused."""


@runtime_checkable
class Clock(Protocol):
    """Time as the platform sees it: wall time in production, model time in the sandbox."""

    def now(self) -> float: ...


@runtime_checkable
class MetricsSource(Protocol):
    """Reads a logical signal (see ports.metrics.SIGNALS), optionally filtered by label values."""

    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]: ...


@runtime_checkable
class PoolActuator(Protocol):
    """GPU encode pools (Auto Scaling groups in AWS)."""

    def describe_pools(self, jurisdiction: str | None = None) -> Sequence[PoolState]: ...

    def set_desired_capacity(self, pool: str, desired: int, *, dry_run: bool) -> None: ...


@runtime_checkable
class TableActuator(Protocol):
    """DynamoDB tables: warm throughput (can only rise) and provisioned capacity."""

    def describe_tables(self, region: str | None = None) -> Sequence[TableState]: ...

    def set_warm_throughput(
        self, table: str, region: str, write_units_per_s: int, read_units_per_s: int, *, dry_run: bool
    ) -> None: ...

    def set_provisioned_capacity(
        self, table: str, region: str, write_units: int, read_units: int, *, dry_run: bool
    ) -> None: ...


@runtime_checkable
class DeploymentActuator(Protocol):
    """Application Deployments (Kubernetes scale subresource)."""

    def get_replicas(self, service: str, region: str) -> int: ...

    def set_replicas(self, service: str, region: str, replicas: int, *, dry_run: bool) -> None: ...


@runtime_checkable
class RouterStore(Protocol):
    """Where encode jobs are sent; the actuator re-checks jurisdiction before enqueueing."""

    def submit(self, record: RoutingRecord, *, dry_run: bool) -> None: ...


@runtime_checkable
class CacheWarmer(Protocol):
    """Pre-warms shields/edges with a video's renditions."""

    def warm(self, request: WarmRequest, *, dry_run: bool) -> None: ...


@runtime_checkable
class FaultInjector(Protocol):
    """Injects and clears faults (sandbox admin API, or AWS actions in chaos/)."""

    def inject(self, fault: FaultSpec) -> str: ...

    def clear(self, fault_id: str) -> None: ...

    def active_faults(self) -> Sequence[FaultSpec]: ...
