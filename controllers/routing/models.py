"""Routing data: the job, the per-jurisdiction lanes built from the platform model, the decision.

The config is validated once at the boundary (pydantic) and compiled into plain tuples so that
``route()`` can take >= 100,000 decisions per second without building pydantic objects. The
decision is a ``NamedTuple``: cheap to create, still carrying a reason enum, the numbers behind it
and the expected upload-to-live time, and convertible to the runtime's audit ``Decision``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ports.types import RouteAction, RoutingRecord
from stacks.model import GpuPoolSpec, PlatformModel

CONTROLLER = "router"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EncodeJob(Frozen):
    """An upload waiting for an encode pool. The jurisdiction is the creator's, never inferred."""

    job_id: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    size_mb: float = Field(default=50.0, gt=0)
    creator_id: str = ""


class RouteReason(StrEnum):
    """Why a job went where it went (one per branch of ``route()``)."""

    HOME_HAS_ROOM = "home_below_depth_limit"
    OVERFLOW_HAS_ROOM = "home_busy_overflow_below_depth_limit"
    OVERFLOW_FASTER = "home_eta_over_target_overflow_faster"
    HOME_UNTRUSTED_OVERFLOW = "home_unobserved_overflow_below_depth_limit"
    BOTH_BUSY_SHORTER_ETA = "both_busy_not_saturated_shorter_eta"
    SATURATED_CPU_FALLBACK = "both_saturated_cpu_fallback_faster"
    SATURATED_RATE_LIMIT = "both_saturated_rate_limited"
    NO_POOL_CPU_FALLBACK = "no_trustworthy_pool_cpu_fallback"
    UNKNOWN_JURISDICTION = "unknown_jurisdiction_rate_limited"
    MISCONFIGURED = "home_region_outside_jurisdiction_rate_limited"


class PoolLimits(Frozen):
    """One pool's routing numbers, all from its ``GpuPoolSpec`` and its region's vCPU quota."""

    pool: str
    region: str
    route_depth_limit: int = Field(gt=0)
    saturation_depth: int = Field(gt=0)
    quota_instances: int = Field(ge=0, description="min(max_size, region vCPU quota / vCPUs per instance)")
    videos_per_hour_per_instance: float = Field(gt=0)
    pipeline_seconds: float = Field(gt=0)
    cpu_fallback_seconds: float = Field(gt=0)
    startup_seconds: float = Field(ge=0)

    @classmethod
    def from_spec(cls, spec: GpuPoolSpec, region_vcpu_quota: int) -> Self:
        return cls(
            pool=spec.name,
            region=spec.region,
            route_depth_limit=spec.route_depth_limit,
            saturation_depth=spec.saturation_depth,
            quota_instances=min(spec.max_size, region_vcpu_quota // spec.vcpus_per_instance),
            videos_per_hour_per_instance=spec.videos_per_hour_per_instance,
            pipeline_seconds=spec.pipeline_seconds,
            cpu_fallback_seconds=spec.cpu_fallback_seconds,
            startup_seconds=spec.startup_seconds,
        )


class Lane(Frozen):
    """Where a jurisdiction's jobs may go: its home pool, then its overflow pool."""

    jurisdiction: str
    home_region: str
    home: PoolLimits | None
    overflow: PoolLimits | None


class RouterConfig(Frozen):
    """Lanes per jurisdiction plus the residency map (jurisdiction -> regions it may use)."""

    lanes: dict[str, Lane]
    residency: dict[str, frozenset[str]]
    max_upload_mb: float = Field(default=500.0, gt=0, description="SPEC section 3 upload validation")
    target_upload_to_live_s: float = Field(
        default=30.0, gt=0, description="SPEC section 3 p95 target: past it, a faster overflow pool wins"
    )
    _table: dict[str, CompiledLane] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_residency(self) -> Self:
        for name, lane in self.lanes.items():
            allowed = self.residency.get(name, frozenset())
            for pool in (lane.home, lane.overflow):
                if pool is not None and pool.region not in allowed:
                    raise ValueError(
                        f"lanes.{name}: pool {pool.pool} is in {pool.region}, outside {name} {sorted(allowed)}"
                    )
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._table.update(compile_lanes(self))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy whose compiled lanes match its (possibly updated) fields."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__pydantic_private__ = {"_table": compile_lanes(copy)}
        return copy

    @property
    def table(self) -> dict[str, CompiledLane]:
        """The compiled lanes that ``route()`` reads (built once, when the config is made).

        Read straight from pydantic's private storage: ``self._table`` goes through
        ``__getattr__`` and costs ~4 us, a third of a routing decision.
        """
        private = self.__pydantic_private__
        assert private is not None
        table: dict[str, CompiledLane] = private["_table"]
        return table

    @classmethod
    def from_platforms(cls, platforms: Iterable[PlatformModel]) -> Self:
        """Lanes from every jurisdiction stack; residency from the project's jurisdictions."""
        lanes: dict[str, Lane] = {}
        residency: dict[str, frozenset[str]] = {}
        for platform in platforms:
            residency.update(residency_of(platform))
            lane = lane_of(platform)
            if lane is not None:
                lanes[lane.jurisdiction] = lane
        return cls(lanes=lanes, residency=residency)


class CompiledPool(NamedTuple):
    """A pool's routing numbers as a plain tuple (hot path)."""

    pool: str
    region: str
    depth_limit: int
    saturation_depth: int
    quota_instances: int
    per_instance_per_s: float
    pipeline_s: float
    startup_s: float
    trusted: bool


class CompiledLane(NamedTuple):
    jurisdiction: str
    home_region: str
    home_region_ok: bool
    home: CompiledPool | None
    overflow: CompiledPool | None
    cpu_fallback_s: float
    allowed: frozenset[str]
    target_s: float


class RoutingDecision(NamedTuple):
    """Where one job goes, why, and what the creator should expect (seconds)."""

    job_id: str
    jurisdiction: str
    action: RouteAction
    reason: RouteReason
    pool: str | None
    region: str
    expected_upload_to_live_s: float
    queue_position: int | None = None
    retry_after_s: float | None = None
    home_depth: int | None = None
    overflow_depth: int | None = None

    def to_record(self) -> RoutingRecord:
        return RoutingRecord(
            job_id=self.job_id, jurisdiction=self.jurisdiction, pool=self.pool, region=self.region, action=self.action
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: enums as strings, an unknown (infinite) time as None."""
        data = self._asdict()
        data["action"] = str(self.action)
        data["reason"] = str(self.reason)
        if math.isinf(self.expected_upload_to_live_s):
            data["expected_upload_to_live_s"] = None
        return data


def residency_of(platform: PlatformModel) -> dict[str, frozenset[str]]:
    """Each jurisdiction's regions, from the project's region table (the source of truth)."""
    return {name: frozenset(platform.regions_of(name)) for name in platform.jurisdictions}


def lane_of(platform: PlatformModel) -> Lane | None:
    """The lane of a jurisdiction stack (None for the global stack)."""
    jurisdiction, home, overflow = platform.jurisdiction, platform.home_region, platform.overflow_region
    if jurisdiction is None or home is None:
        return None
    by_region = {p.region: p for p in platform.settings.pools}

    def limits(region: str | None) -> PoolLimits | None:
        spec = by_region.get(region or "")
        return PoolLimits.from_spec(spec, platform.regions[spec.region].gpu_vcpu_quota) if spec else None

    return Lane(jurisdiction=jurisdiction.name, home_region=home, home=limits(home), overflow=limits(overflow))


def compile_pool(limits: PoolLimits | None, allowed: frozenset[str]) -> CompiledPool | None:
    if limits is None:
        return None
    return CompiledPool(
        pool=limits.pool,
        region=limits.region,
        depth_limit=limits.route_depth_limit,
        saturation_depth=limits.saturation_depth,
        quota_instances=limits.quota_instances,
        per_instance_per_s=limits.videos_per_hour_per_instance / 3600.0,
        pipeline_s=limits.pipeline_seconds,
        startup_s=limits.startup_seconds,
        trusted=limits.region in allowed,
    )


def compile_lanes(config: RouterConfig) -> dict[str, CompiledLane]:
    """Per-jurisdiction tuples; also computed for configs that skipped validation (defence in depth)."""
    table: dict[str, CompiledLane] = {}
    for name, lane in config.lanes.items():
        allowed = frozenset(config.residency.get(name, frozenset()))
        home_pool = lane.home or lane.overflow
        table[name] = CompiledLane(
            jurisdiction=name,
            home_region=lane.home_region,
            home_region_ok=lane.home_region in allowed,
            home=compile_pool(lane.home, allowed),
            overflow=compile_pool(lane.overflow, allowed),
            cpu_fallback_s=home_pool.cpu_fallback_seconds if home_pool else math.inf,
            allowed=allowed,
            target_s=config.target_upload_to_live_s,
        )
    return table
