"""Data that crosses the ports: observations of pools and tables, samples, faults, routing records.

Frozen pydantic models so that a value read from any backend is validated at the boundary and can be
logged as JSON in the audit trail unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PortModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sample(PortModel):
    """One value of a signal with its labels and the time it was observed (epoch seconds)."""

    labels: dict[str, str] = Field(default_factory=dict)
    value: float
    timestamp: float


class PoolState(PortModel):
    """A GPU pool as observed: queue, instances running and still starting, limits."""

    pool: str
    region: str
    jurisdiction: str
    queue_depth: int = Field(ge=0)
    running: int = Field(ge=0)
    starting: int = Field(ge=0)
    desired: int = Field(ge=0)
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=0)
    quota_instances: int = Field(ge=0)
    in_flight: int = Field(default=0, ge=0, description="jobs being encoded now")
    idle_seconds: float = Field(default=0, ge=0, description="time since the pool last had work")
    observed_at: float


class BillingMode(StrEnum):
    ON_DEMAND = "on_demand"
    PROVISIONED = "provisioned"


class TableState(PortModel):
    """A DynamoDB table as observed."""

    table: str
    region: str
    mode: BillingMode
    write_capacity_units: float = Field(ge=0, description="serves this many WCU/s without throttling now")
    warm_write_units: float = Field(ge=0)
    warm_read_units: float = Field(ge=0)
    consumed_write_units: float = Field(ge=0)
    observed_at: float


class RouteAction(StrEnum):
    HOME = "home"
    OVERFLOW = "overflow"
    RATE_LIMIT = "rate_limit"
    CPU_FALLBACK = "cpu_fallback"


class RoutingRecord(PortModel):
    """An encode job's placement, checked again by the actuator against the job's jurisdiction."""

    job_id: str
    jurisdiction: str
    pool: str | None
    region: str
    action: RouteAction


class WarmRequest(PortModel):
    """Pre-warm these shields (or every edge, when global) with a video's renditions."""

    video_id: str
    jurisdiction: str
    shields: tuple[str, ...]
    global_push: bool = False


class FaultKind(StrEnum):
    REGION_DOWN = "region_down"
    AZ_DOWN = "az_down"
    ORIGIN_DOWN = "origin_down"
    TABLE_THROTTLE = "table_throttle"
    QUEUE_CONSUMER_STOP = "queue_consumer_stop"
    SPOT_INTERRUPTION = "spot_interruption"
    METRICS_DOWN = "metrics_down"
    API_THROTTLE = "api_throttle"


class FaultSpec(PortModel):
    """A fault to inject: what, where, how strong, and for how long (None = until cleared)."""

    kind: FaultKind
    target: str = Field(description="region, AZ, origin, table or pool name")
    severity: float = Field(default=1.0, ge=0, le=1)
    duration_s: float | None = Field(default=None, gt=0)
    id: str | None = None
    source: Literal["scenario", "chaos", "manual"] = "manual"
