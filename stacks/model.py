"""The platform model: one validated description of what a stack provisions and operates.

Every other part of reelops (Pulumi components, the sandbox, controllers, FinOps, war games) reads
this model instead of its own copy of the numbers. It is built from Pulumi configuration: project-level
values in ``Pulumi.yaml`` (jurisdictions, regions, traffic) merged with one stack file
(``stacks/Pulumi.<stack>.yaml``, key ``reelops:platform``). See ``stacks/loading.py``.

All models are frozen and reject unknown keys, so a typo in a stack file is an error, not a silent
default. Cross-field rules (residency, quotas, threshold order) live in validators here, so that a
wrong deploy cannot even be planned.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

COST_CENTERS = ("cdn", "encoding", "ml", "storage", "data", "app", "observability")


class Frozen(BaseModel):
    """Base for every boundary model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CostCenter(StrEnum):
    """Showback buckets of SPEC section 9; every resource is tagged with one."""

    CDN = "cdn"
    ENCODING = "encoding"
    ML = "ml"
    STORAGE = "storage"
    DATA = "data"
    APP = "app"
    OBSERVABILITY = "observability"


class RegionSpec(Frozen):
    """An AWS region as the platform uses it: who owns it, its AZs, quotas and traffic share."""

    name: str = Field(pattern=r"^[a-z]{2}-[a-z]+-\d$")
    jurisdiction: str
    azs: tuple[str, ...] = Field(min_length=1)
    gpu_vcpu_quota: int = Field(ge=0, description="Running On-Demand/Spot G instance vCPU quota")
    traffic_share: float = Field(ge=0, le=1, description="share of global video starts served here")
    shield_region: str | None = Field(default=None, description="CloudFront Origin Shield region")


class JurisdictionSpec(Frozen):
    """A data-residency silo (SPEC section 2): data never leaves its regions."""

    name: str
    home_region: str
    overflow_region: str
    regulation: str = ""


class TrafficSpec(Frozen):
    """The traffic model of SPEC section 6, used by the sandbox, FinOps and capacity planning."""

    dau: int = Field(gt=0)
    peak_dau: int = Field(gt=0)
    views_per_dau: float = Field(gt=0)
    views_per_session: float = Field(gt=0)
    commute_peak_factor: float = Field(ge=1)
    interactions_per_dau: float = Field(ge=0)
    active_hours: float = Field(gt=0, le=24)
    api_calls_per_view: float = Field(gt=0)
    rps_per_instance: float = Field(gt=0)
    avg_video_mb: float = Field(gt=0)
    uploads_per_day: int = Field(ge=0, description="at peak_dau: SPEC 3's 50K/day at maturity")
    baseline_uploads_per_day: int = Field(ge=0, description="at dau: SPEC 3's ~7K/day at 3M DAU")
    revenue_per_dau_usd: float = Field(ge=0)
    creator_share: float = Field(ge=0, le=1)
    ltv_usd: float = Field(ge=0)
    churn_after_failure: float = Field(ge=0, le=1)
    session_value_usd: float = Field(ge=0)

    def uploads_per_day_at(self, dau: float) -> float:
        """Uploads per day at ``dau`` (SPEC 3: ~7K at 3M DAU, 50K at maturity): the one curve for all.

        Piecewise linear through (0, 0), (``dau``, ``baseline_uploads_per_day``) and (``peak_dau``,
        ``uploads_per_day``), extended beyond ``peak_dau`` with the last slope.
        """
        if dau <= self.dau:
            return self.baseline_uploads_per_day * max(dau, 0.0) / self.dau
        if self.peak_dau <= self.dau:
            return self.baseline_uploads_per_day * dau / self.dau
        slope = (self.uploads_per_day - self.baseline_uploads_per_day) / (self.peak_dau - self.dau)
        return max(0.0, self.baseline_uploads_per_day + slope * (dau - self.dau))


class StepThresholds(Frozen):
    """Queue-depth step scaling of SPEC section 3; must be strictly ordered."""

    scale_in_below: int = Field(default=50, gt=0)
    hold_below: int = Field(default=100, gt=0)
    add_10_above: int = Field(default=100, gt=0)
    add_20_above: int = Field(default=500, gt=0)
    add_small: int = Field(default=10, gt=0)
    add_large: int = Field(default=20, gt=0)
    scale_in_min_tasks: int = Field(default=10, ge=0)
    idle_terminate_minutes: int = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if not (self.scale_in_below < self.hold_below <= self.add_10_above < self.add_20_above):
            raise ValueError(
                "thresholds must be ordered scale_in_below < hold_below <= add_10_above < add_20_above, "
                f"got {self.scale_in_below}, {self.hold_below}, {self.add_10_above}, {self.add_20_above}"
            )
        return self


class GpuPoolSpec(Frozen):
    """A region-pinned GPU encode pool with its own SQS queue (SPEC section 3)."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    region: str
    ami_id: str = Field(pattern=r"^ami-[0-9a-f]+$")
    instance_types: tuple[str, ...] = Field(min_length=1)
    vcpus_per_instance: int = Field(default=4, gt=0)
    on_demand_base: int = Field(ge=0)
    min_size: int = Field(ge=0)
    max_size: int = Field(gt=0)
    spot_max_price_usd: float | None = None
    videos_per_hour_per_instance: float = Field(default=200, gt=0)
    pipeline_seconds: float = Field(default=20, gt=0)
    cpu_fallback_seconds: float = Field(default=120, gt=0)
    startup_seconds: float = Field(default=180, ge=0)
    route_depth_limit: int = Field(default=500, gt=0, description="route elsewhere at this depth")
    saturation_depth: int = Field(default=1000, gt=0, description="both pools saturated above this")
    thresholds: StepThresholds = StepThresholds()

    @model_validator(mode="after")
    def _check_sizes(self) -> Self:
        if not (self.min_size <= self.max_size):
            raise ValueError(f"min_size {self.min_size} must be <= max_size {self.max_size}")
        if self.on_demand_base > self.max_size:
            raise ValueError(f"on_demand_base {self.on_demand_base} must be <= max_size {self.max_size}")
        return self


class QueueSpec(Frozen):
    """An SQS queue with its dead-letter queue."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    purpose: Literal["write-buffer", "encode", "events"]
    visibility_timeout_s: int = Field(default=60, gt=0)
    retention_s: int = Field(default=345600, gt=0)
    max_receive_count: int = Field(default=5, gt=0)
    double_capacity_depth: int = Field(default=10_000, gt=0)


class TableSpec(Frozen):
    """A DynamoDB table of SPEC section 5 with its sizing facts."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    hash_key: str
    range_key: str | None = None
    items: int = Field(ge=0)
    item_bytes: int = Field(gt=0)
    reads_per_day: int = Field(ge=0)
    writes_per_day: int = Field(ge=0)
    stream: bool = False
    priority: Literal[1, 2, 3] = 2
    cost_center: CostCenter = CostCenter.DATA


class BucketSpec(Frozen):
    """An S3 bucket with tiering (hot < warm_after_days <= cold_after_days)."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    purpose: Literal["uploads", "renditions", "logs"]
    warm_after_days: int = Field(default=30, gt=0)
    cold_after_days: int = Field(default=90, gt=0)
    replicate_to_overflow: bool = True
    cost_center: CostCenter = CostCenter.STORAGE

    @model_validator(mode="after")
    def _check_tiers(self) -> Self:
        if self.cold_after_days <= self.warm_after_days:
            raise ValueError(
                f"cold_after_days ({self.cold_after_days}) must be > warm_after_days ({self.warm_after_days})"
            )
        return self


class TenantSpec(Frozen):
    """A tenant: gets its own KMS key in its jurisdiction."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str


class AppServiceSpec(Frozen):
    """An API service deployed in each home region."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    image: str
    port: int = Field(default=8080, gt=0, lt=65536)
    cpu_millicores: int = Field(default=500, gt=0)
    memory_mib: int = Field(default=1024, gt=0)
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=20, ge=1)
    target_cpu_percent: int = Field(default=60, gt=0, le=100)
    priority: Literal[1, 2, 3] = 2

    @model_validator(mode="after")
    def _check_replicas(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas {self.min_replicas} must be <= max_replicas {self.max_replicas}")
        return self


class ClusterSpec(Frozen):
    """The EKS cluster and managed node group that host the app services."""

    version: str = "1.31"
    node_instance_types: tuple[str, ...] = ("m7g.large",)
    node_min: int = Field(default=3, ge=1)
    node_max: int = Field(default=30, ge=1)
    node_desired: int = Field(default=3, ge=1)


class SecondaryCdnSpec(Frozen):
    """The second CDN, given by hostname (it is not provisioned by reelops)."""

    hostname: str
    health_check_path: str = "/health"


class CdnSpec(Frozen):
    """Global multi-CDN settings (SPEC section 4)."""

    domain: str
    hosted_zone: str
    default_ttl_s: int = Field(default=6000, gt=0)
    max_ttl_s: int = Field(default=86_400, gt=0)
    incident_ttl_s: int = Field(default=86_400, gt=0)
    failover_status_codes: tuple[int, ...] = (500, 502, 503, 504)
    primary_weight: int = Field(default=70, ge=0)
    secondary_weight: int = Field(default=30, ge=0)
    secondary: SecondaryCdnSpec
    price_class: str = "PriceClass_All"
    health_check_path: str = "/health"
    edge_pops: int = Field(default=200, gt=0)
    normal_hit_ratio: float = Field(default=0.95, gt=0, le=1)
    shield_offload: float = Field(default=0.9, ge=0, lt=1)


class BudgetSpec(Frozen):
    """Daily spend thresholds and alert routing (SPEC section 9)."""

    notify_usd: float = Field(default=10_000, gt=0)
    page_usd: float = Field(default=12_000, gt=0)
    breaker_usd: float = Field(default=15_000, gt=0)
    anomaly_impact_percent: float = Field(default=20, gt=0)
    engineering_email: str
    finance_email: str
    oncall_email: str

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if not (self.notify_usd < self.page_usd < self.breaker_usd):
            raise ValueError(
                f"budget thresholds must rise notify_usd < page_usd < breaker_usd, "
                f"got {self.notify_usd}, {self.page_usd}, {self.breaker_usd}"
            )
        return self


class StackSettings(Frozen):
    """What one stack file says (the ``reelops:platform`` key)."""

    kind: Literal["jurisdiction", "global"]
    environment: Literal["prod", "dev"]
    jurisdiction: str | None = None
    overflow_region: str | None = Field(default=None, description="overrides the jurisdiction default")
    jurisdiction_stacks: tuple[str, ...] = ()
    tenants: tuple[TenantSpec, ...] = ()
    pools: tuple[GpuPoolSpec, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()
    services: tuple[AppServiceSpec, ...] = ()
    cluster: ClusterSpec | None = None
    cdn: CdnSpec | None = None
    budgets: BudgetSpec | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class PlatformModel(Frozen):
    """A whole stack, validated: project-wide facts plus what the stack file says."""

    project: str
    stack: str
    jurisdictions: dict[str, JurisdictionSpec]
    regions: dict[str, RegionSpec]
    traffic: TrafficSpec
    settings: StackSettings

    @model_validator(mode="after")
    def _check_platform(self) -> Self:
        from stacks.validation import check_platform  # rules live beside their error messages

        check_platform(self)
        return self

    # --- derived views, so callers never recompute them -------------------------------------------
    @property
    def jurisdiction(self) -> JurisdictionSpec | None:
        name = self.settings.jurisdiction
        return self.jurisdictions[name] if name else None

    @property
    def home_region(self) -> str | None:
        j = self.jurisdiction
        return j.home_region if j else None

    @property
    def overflow_region(self) -> str | None:
        j = self.jurisdiction
        return (self.settings.overflow_region or j.overflow_region) if j else None

    @property
    def allowed_regions(self) -> tuple[str, ...]:
        """Regions a regional resource of this stack may live in (residency)."""
        if self.settings.kind == "global":
            return tuple(self.regions)
        return tuple(r for r in (self.home_region, self.overflow_region) if r)

    def regions_of(self, jurisdiction: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions.values() if r.jurisdiction == jurisdiction)

    def base_tags(self) -> dict[str, str]:
        tags = {"project": self.project, "stack": self.stack, "managed_by": "reelops"}
        if self.settings.jurisdiction:
            tags["jurisdiction"] = self.settings.jurisdiction
        else:
            tags["jurisdiction"] = "global"
        return {**tags, **self.settings.tags}
