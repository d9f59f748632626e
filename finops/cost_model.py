"""Monthly cost by cost centre from usage drivers, and the unit economics finance asks for.

Drivers come from the platform model (traffic, tables, pools, CDN) and ``finops/usage.yaml``;
prices and the MB/GB/TB convention only from the catalogue. Usage is derived first
(``derive_monthly_usage``: what is consumed, in catalogue units, and why) and priced second
(``price_usage``), so that every dollar traces back to a driver and a catalogue entry. The sandbox's
spend meter (``sandbox/spend.py``) uses the same conventions from the same files.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from finops.catalogue import Catalogue, Units
from finops.usage import UsageAssumptions
from stacks.model import COST_CENTERS, CostCenter, PlatformModel, TableSpec, TrafficSpec

MILLION = 1_000_000.0


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Drivers(Frozen):
    """Platform facts the model needs beyond the traffic spec (from the stacks)."""

    traffic: TrafficSpec
    tables: tuple[TableSpec, ...]
    videos_per_instance_hour: float
    cache_hit_ratio: float


class UsageLine(Frozen):
    """A quantity of one catalogue item consumed per month, with the driver that explains it."""

    cost_center: CostCenter
    item: str
    quantity: float
    driver: str


class CostLine(Frozen):
    cost_center: CostCenter
    item: str
    quantity: float
    unit: str
    usd: float
    driver: str


class CostModel(Frozen):
    """The model's answer for one DAU figure (monthly)."""

    dau: int
    views_per_month: float
    uploads_per_month: float
    lines: tuple[CostLine, ...]
    monthly_usd_by_cost_center: dict[str, float]
    total_monthly_usd: float
    cost_per_dau_usd: float
    cost_per_view_usd: float
    cost_per_encode_usd: float
    revenue_usd: float
    creator_payout_usd: float
    gross_margin: float
    targets: dict[str, float]

    def share(self, center: str) -> float:
        return self.monthly_usd_by_cost_center[center] / self.total_monthly_usd


def drivers_from_platforms(platforms: Sequence[PlatformModel]) -> Drivers:
    """Collect drivers from the prod stacks: tables (SPEC 5 volumes are global), pools, CDN."""
    if not platforms:
        raise ValueError("drivers_from_platforms needs at least one platform model")
    tables = {t.name: t for p in platforms for t in p.settings.tables}
    pools = [pool for p in platforms for pool in p.settings.pools]
    cdns = [p.settings.cdn for p in platforms if p.settings.cdn]
    return Drivers(
        traffic=platforms[0].traffic,
        tables=tuple(tables.values()),
        videos_per_instance_hour=min((pool.videos_per_hour_per_instance for pool in pools), default=200.0),
        cache_hit_ratio=cdns[0].normal_hit_ratio if cdns else 0.95,
    )


def derive_monthly_usage(dau: int, drivers: Drivers, usage: UsageAssumptions, units: Units) -> tuple[UsageLine, ...]:
    """Everything the platform consumes in a month at ``dau``, in catalogue units (``units``)."""
    t, d, days = drivers.traffic, usage.drivers, usage.days_per_month
    views = dau * t.views_per_dau * days
    uploads = t.uploads_per_day_at(dau) * days
    requests = views * t.api_calls_per_view
    egress_gb = units.gb_from_mb(views * t.avg_video_mb)
    lines = [
        *cdn_usage(egress_gb, views, drivers, usage, units),
        *compute_usage(dau, uploads, drivers, usage),
        *storage_usage(dau, usage),
        *table_usage(dau, drivers, usage),
        UsageLine(
            cost_center=CostCenter.ML,
            item="asr_captions",
            quantity=uploads * d.caption_minutes_per_upload,
            driver="uploads x caption minutes per upload",
        ),
        UsageLine(
            cost_center=CostCenter.OBSERVABILITY,
            item="log_ingestion",
            quantity=requests / MILLION * d.log_gb_per_million_requests,
            driver="API requests x log GB",
        ),
    ]
    return tuple(line for line in lines if line.quantity > 0)


def egress_item(monthly_gb: float, usage: UsageAssumptions, units: Units) -> str:
    """The catalogue item CDN egress is bought as at this monthly volume (the volume commit from a size)."""
    commit = units.tb_from_gb(monthly_gb) >= usage.purchase.cdn_volume_commit_from_tb
    return "cdn_egress_volume_commit" if commit else "cdn_egress"


def cdn_usage(
    egress_gb: float, views: float, drivers: Drivers, usage: UsageAssumptions, units: Units
) -> list[UsageLine]:
    shield_requests = views * usage.drivers.cdn_requests_per_view * (1 - drivers.cache_hit_ratio)
    return [
        UsageLine(
            cost_center=CostCenter.CDN,
            item=egress_item(egress_gb, usage, units),
            quantity=egress_gb,
            driver="views x MB per video",
        ),
        UsageLine(
            cost_center=CostCenter.CDN,
            item="origin_shield_requests",
            quantity=shield_requests / 10_000,
            driver="views x requests per view x edge miss ratio",
        ),
    ]


def compute_usage(dau: int, uploads: float, drivers: Drivers, usage: UsageAssumptions) -> list[UsageLine]:
    d, p = usage.drivers, usage.purchase
    app_item = "app_compute_reserved" if dau >= p.reserved_compute_from_dau else "app_compute_on_demand"
    gpu_hours = uploads / drivers.videos_per_instance_hour / d.gpu_busy_fraction
    return [
        UsageLine(
            cost_center=CostCenter.APP,
            item=app_item,
            quantity=dau * d.app_instance_hours_per_dau,
            driver="DAU x instance-hours per DAU",
        ),
        UsageLine(
            cost_center=CostCenter.APP,
            item="serverless_invocation",
            quantity=uploads * d.serverless_invocations_per_upload / MILLION,
            driver="uploads x invocations",
        ),
        UsageLine(
            cost_center=CostCenter.ENCODING,
            item=p.gpu_price,
            quantity=gpu_hours,
            driver="uploads / videos per instance-hour / busy fraction",
        ),
    ]


def storage_usage(dau: int, usage: UsageAssumptions) -> list[UsageLine]:
    stored_gb = dau * usage.drivers.storage_gb_per_dau
    return [
        UsageLine(
            cost_center=CostCenter.STORAGE,
            item=key,
            quantity=stored_gb * share,
            driver=f"DAU x GB stored per DAU x {share:.0%} in this tier",
        )
        for key, share in usage.drivers.storage_tier_shares.items()
    ]


def table_usage(dau: int, drivers: Drivers, usage: UsageAssumptions) -> list[UsageLine]:
    """DynamoDB on-demand requests: SPEC section 5 volumes are at the reference DAU; scale linearly."""
    scale = dau / usage.reference.dau * usage.days_per_month / MILLION
    buffered = sum(t.writes_per_day for t in drivers.tables if t.priority != 1) * scale
    lines = [
        UsageLine(
            cost_center=CostCenter.DATA,
            item="sqs_request",
            quantity=buffered * usage.drivers.sqs_requests_per_buffered_write,
            driver="writes through the write buffer (priority 2-3 tables) x SQS requests per write",
        )
    ]
    for table in drivers.tables:
        lines.append(
            UsageLine(
                cost_center=table.cost_center,
                item="dynamodb_write_request",
                quantity=table.writes_per_day * scale,
                driver=f"{table.name} writes",
            )
        )
        lines.append(
            UsageLine(
                cost_center=table.cost_center,
                item="dynamodb_read_request",
                quantity=table.reads_per_day * scale,
                driver=f"{table.name} reads",
            )
        )
    return lines


def price_usage(lines: Sequence[UsageLine], catalogue: Catalogue, region: str | None = None) -> tuple[CostLine, ...]:
    """Price each usage line with the catalogue (tiered items tier by tier)."""
    return tuple(
        CostLine(
            cost_center=line.cost_center,
            item=line.item,
            quantity=line.quantity,
            unit=catalogue.price(line.item).unit,
            usd=catalogue.cost(line.item, line.quantity, region),
            driver=line.driver,
        )
        for line in lines
    )


def sum_by_cost_center(lines: Sequence[CostLine]) -> dict[str, float]:
    totals = dict.fromkeys(COST_CENTERS, 0.0)
    for line in lines:
        totals[line.cost_center.value] += line.usd
    return totals


def model_costs(dau: int, drivers: Drivers, usage: UsageAssumptions, catalogue: Catalogue) -> CostModel:
    """Monthly cost by cost centre and unit economics at ``dau``."""
    if dau <= 0:
        raise ValueError(f"dau must be positive, got {dau}")
    t = drivers.traffic
    lines = price_usage(derive_monthly_usage(dau, drivers, usage, catalogue.units), catalogue)
    by_center = sum_by_cost_center(lines)
    total = sum(by_center.values())
    views = dau * t.views_per_dau * usage.days_per_month
    uploads = t.uploads_per_day_at(dau) * usage.days_per_month
    revenue = dau * t.revenue_per_dau_usd
    payout = revenue * t.creator_share
    return CostModel(
        dau=dau,
        views_per_month=views,
        uploads_per_month=uploads,
        lines=lines,
        monthly_usd_by_cost_center=by_center,
        total_monthly_usd=total,
        cost_per_dau_usd=total / dau,
        cost_per_view_usd=total / views,
        cost_per_encode_usd=by_center["encoding"] / uploads if uploads else 0.0,
        revenue_usd=revenue,
        creator_payout_usd=payout,
        gross_margin=(revenue - payout - total) / revenue if revenue else 0.0,
        targets=usage.targets.model_dump(),
    )
