"""Near-real-time spend per cost centre from telemetry, and the projected end-of-day spend.

Billing data lags 8-24 h (SPEC 9), so the budget breaker acts on this estimate instead. Every control
interval the estimator reads telemetry through a ``MetricsSource`` (the sandbox's or Prometheus's):
video starts (bytes served x the CDN tier reached this month), GPU instances (hours x price by
purchase option: on-demand up to the pool's base, spot above), DynamoDB write units (request units x
price), write-buffer queue requests and edge misses (origin shield requests). What telemetry cannot
see (DynamoDB reads, app compute, storage, captions, logs) is taken from the cost model's daily
baseline and labelled as modelled. Spend is integrated since the start of the UTC
day; the projection scales the rest of the day's traffic-shaped spend by the diurnal profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from finops.catalogue import Catalogue
from finops.cost_model import Drivers, derive_monthly_usage, price_usage
from finops.usage import UsageAssumptions
from ports.interfaces import MetricsSource, PortError
from ports.metrics import SignalName
from ports.types import Sample
from stacks.model import COST_CENTERS, PlatformModel

DAY_S = 86_400.0
HOUR_S = 3_600.0
MEASURED_ITEMS = frozenset(
    {
        "cdn_egress",
        "cdn_egress_volume_commit",
        "origin_shield_requests",
        "dynamodb_write_request",
        "sqs_request",
        "gpu_g4dn_xlarge_spot",
        "gpu_g4dn_xlarge_on_demand",
    }
)
TRAFFIC_SHAPED = frozenset({"cdn"})  # writes follow active hours, not the views curve: flat


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PoolPricing(Frozen):
    on_demand_base: int
    on_demand_key: str
    spot_key: str


class TablePricing(Frozen):
    cost_center: str
    buffered: bool


class EstimatorConfig(Frozen):
    """What the estimator needs from the platform model, usage assumptions and cost model."""

    avg_video_mb: float
    cdn_key: str
    cdn_requests_per_view: float
    sqs_requests_per_buffered_write: float
    pools: dict[str, PoolPricing]
    tables: dict[str, TablePricing]
    baseline_usd_per_hour: dict[str, float]
    diurnal_profile: tuple[float, ...]


class SpendRates(Frozen):
    """Spend rate per cost centre now (USD/hour), split into measured and modelled."""

    at: float
    measured_usd_per_hour: dict[str, float]
    modelled_usd_per_hour: dict[str, float]
    cdn_gb_per_hour: float
    data_age_s: float

    def total_by_cost_center(self) -> dict[str, float]:
        return {
            c: self.measured_usd_per_hour.get(c, 0.0) + self.modelled_usd_per_hour.get(c, 0.0) for c in COST_CENTERS
        }


class SpendEstimate(Frozen):
    """Spend so far today and where the day is heading."""

    at: float
    day_start: float
    spent_today_by_cost_center: dict[str, float]
    spent_today_usd: float
    rate_usd_per_hour_by_cost_center: dict[str, float]
    rate_usd_per_hour: float
    projected_daily_usd: float
    data_age_s: float


def estimator_config(
    platforms: Sequence[PlatformModel], drivers: Drivers, usage: UsageAssumptions, catalogue: Catalogue
) -> EstimatorConfig:
    """Build the estimator's pricing view of the platform (pools, tables, modelled baseline)."""
    lines = price_usage(derive_monthly_usage(drivers.traffic.dau, drivers, usage, catalogue.units), catalogue)
    baseline = dict.fromkeys(COST_CENTERS, 0.0)
    for line in lines:
        if line.item not in MEASURED_ITEMS:
            baseline[line.cost_center.value] += line.usd / usage.days_per_month / 24
    cdn_item = next(line.item for line in lines if line.item.startswith("cdn_egress"))
    return EstimatorConfig(
        avg_video_mb=drivers.traffic.avg_video_mb,
        cdn_key=cdn_item,
        cdn_requests_per_view=usage.drivers.cdn_requests_per_view,
        sqs_requests_per_buffered_write=usage.drivers.sqs_requests_per_buffered_write,
        pools={
            pool.name: pool_pricing(pool.instance_types[0], pool.on_demand_base, catalogue)
            for p in platforms
            for pool in p.settings.pools
        },
        tables={
            t.name: TablePricing(
                cost_center=t.cost_center.value,
                buffered=t.priority != 1,
            )
            for t in drivers.tables
        },
        baseline_usd_per_hour=baseline,
        diurnal_profile=usage.diurnal_profile,
    )


def pool_pricing(instance_type: str, on_demand_base: int, catalogue: Catalogue) -> PoolPricing:
    """Catalogue keys for a pool's first instance type (spot falls back to on-demand if unpriced)."""
    stem = "gpu_" + instance_type.replace(".", "_")
    on_demand = f"{stem}_on_demand"
    catalogue.price(on_demand)  # raises naming the missing key
    spot = f"{stem}_spot" if f"{stem}_spot" in catalogue.prices else on_demand
    return PoolPricing(on_demand_base=on_demand_base, on_demand_key=on_demand, spot_key=spot)


def marginal_price(catalogue: Catalogue, key: str, at_quantity: float) -> float:
    """Price of the next unit once ``at_quantity`` units were consumed this month (tiers)."""
    return catalogue.cost(key, at_quantity + 1.0) - catalogue.cost(key, at_quantity)


def read_signal(metrics: MetricsSource, signal: SignalName) -> Sequence[Sample]:
    samples = metrics.read(signal)
    if any(s.value != s.value for s in samples):  # NaN
        raise PortError(f"{signal}: NaN in telemetry")
    return samples


def measure_rates(
    metrics: MetricsSource, cfg: EstimatorConfig, catalogue: Catalogue, now: float, month_to_date_gb: float
) -> SpendRates:
    """Spend rates now from telemetry (USD/hour per cost centre)."""
    starts = read_signal(metrics, SignalName.VIDEO_STARTS_PER_MIN)
    if not starts:
        raise PortError("no video-start telemetry: cannot estimate CDN spend")
    hits = read_signal(metrics, SignalName.CACHE_HIT_RATIO)
    instances = read_signal(metrics, SignalName.POOL_INSTANCES)
    wcu = read_signal(metrics, SignalName.TABLE_CONSUMED_WCU)
    measured = dict.fromkeys(COST_CENTERS, 0.0)
    views_per_h = sum(s.value for s in starts) * 60
    gb_per_h = catalogue.units.gb_from_mb(views_per_h * cfg.avg_video_mb)
    measured["cdn"] += gb_per_h * marginal_price(catalogue, cfg.cdn_key, month_to_date_gb)
    measured["cdn"] += shield_usd_per_hour(starts, hits, cfg, catalogue)
    measured["encoding"] += gpu_usd_per_hour(instances, cfg, catalogue)
    for center, usd in table_usd_per_hour(wcu, cfg, catalogue).items():
        measured[center] += usd
    newest = max(s.timestamp for s in (*starts, *hits, *instances, *wcu))
    modelled = {c: v for c, v in cfg.baseline_usd_per_hour.items() if v}
    return SpendRates(
        at=now,
        measured_usd_per_hour=measured,
        modelled_usd_per_hour=modelled,
        cdn_gb_per_hour=gb_per_h,
        data_age_s=max(0.0, now - newest),
    )


def shield_usd_per_hour(
    starts: Sequence[Sample], hits: Sequence[Sample], cfg: EstimatorConfig, catalogue: Catalogue
) -> float:
    hit_by_region = {s.labels.get("region", ""): s.value for s in hits}
    misses_per_h = sum(
        s.value * 60 * cfg.cdn_requests_per_view * (1 - hit_by_region.get(s.labels.get("region", ""), 1.0))
        for s in starts
    )
    return catalogue.cost("origin_shield_requests", misses_per_h / 10_000)


def gpu_usd_per_hour(instances: Sequence[Sample], cfg: EstimatorConfig, catalogue: Catalogue) -> float:
    """Running and starting instances are billed; the first ``on_demand_base`` at on-demand."""
    billed: dict[str, float] = {}
    for s in instances:
        if s.labels.get("state") in ("running", "starting"):
            billed[s.labels.get("pool", "")] = billed.get(s.labels.get("pool", ""), 0.0) + s.value
    total = 0.0
    for pool, count in billed.items():
        pricing = cfg.pools.get(pool)
        if pricing is None:
            raise PortError(f"telemetry names pool {pool!r} that no stack declares")
        on_demand = min(count, pricing.on_demand_base)
        total += catalogue.cost(pricing.on_demand_key, on_demand) + catalogue.cost(pricing.spot_key, count - on_demand)
    return total


def table_usd_per_hour(wcu: Sequence[Sample], cfg: EstimatorConfig, catalogue: Catalogue) -> dict[str, float]:
    """Writes/s x 3600 at the on-demand write price, reads by the table's ratio, buffered writes' SQS."""
    out: dict[str, float] = {}
    for s in wcu:
        table = cfg.tables.get(s.labels.get("table", ""))
        if table is None:
            continue
        writes_m = s.value * HOUR_S / 1e6
        usd = catalogue.cost("dynamodb_write_request", writes_m)
        out[table.cost_center] = out.get(table.cost_center, 0.0) + usd
        if table.buffered:
            sqs = catalogue.cost("sqs_request", writes_m * cfg.sqs_requests_per_buffered_write)
            out["data"] = out.get("data", 0.0) + sqs
    return out


def day_start(now: float) -> float:
    return now - now % DAY_S


def remaining_profile_hours(now: float, profile: Sequence[float]) -> float:
    """Hours left today, each weighted by its share relative to the current hour's share."""
    seconds_into_day = now % DAY_S
    hour = int(seconds_into_day // HOUR_S)
    current = max(profile[hour], 1e-9)
    left_in_hour = (HOUR_S - seconds_into_day % HOUR_S) / HOUR_S
    return left_in_hour + sum(w / current for w in profile[hour + 1 :])


def project_daily(spent: float, rates: Mapping[str, float], now: float, profile: Sequence[float]) -> float:
    """Spent so far + traffic-shaped rates along the diurnal profile + flat rates for the rest."""
    flat_hours = (DAY_S - now % DAY_S) / HOUR_S
    shaped_hours = remaining_profile_hours(now, profile)
    return spent + sum(rate * (shaped_hours if c in TRAFFIC_SHAPED else flat_hours) for c, rate in rates.items())


def backfill_elapsed(rates: SpendRates, profile: Sequence[float]) -> dict[str, float]:
    """Spend since midnight before the first reading: current rates along the profile, backwards."""
    seconds_into_day = rates.at % DAY_S
    hour = int(seconds_into_day // HOUR_S)
    current = max(profile[hour], 1e-9)
    shaped = (seconds_into_day % HOUR_S) / HOUR_S + sum(w / current for w in profile[:hour])
    flat = seconds_into_day / HOUR_S
    return {c: r * (shaped if c in TRAFFIC_SHAPED else flat) for c, r in rates.total_by_cost_center().items()}


class SpendEstimator:
    """Integrates spend rates between observations and projects the UTC day's total."""

    def __init__(self, cfg: EstimatorConfig, catalogue: Catalogue, month_to_date_gb: float = 0.0) -> None:
        self.cfg = cfg
        self.catalogue = catalogue
        self.month_to_date_gb = month_to_date_gb
        self.spent: dict[str, float] = dict.fromkeys(COST_CENTERS, 0.0)
        self.last: SpendRates | None = None
        self.day = -1.0

    def observe(self, metrics: MetricsSource, now: float) -> SpendEstimate:
        """Read telemetry at ``now``, add the spend since the last reading, and project the day."""
        rates = measure_rates(metrics, self.cfg, self.catalogue, now, self.month_to_date_gb)
        if day_start(now) != self.day:
            self.day, self.spent, self.last = day_start(now), dict.fromkeys(COST_CENTERS, 0.0), None
        self._accumulate(rates)
        totals = rates.total_by_cost_center()
        spent_total = sum(self.spent.values())
        return SpendEstimate(
            at=now,
            day_start=self.day,
            spent_today_by_cost_center=dict(self.spent),
            spent_today_usd=spent_total,
            rate_usd_per_hour_by_cost_center=totals,
            rate_usd_per_hour=sum(totals.values()),
            projected_daily_usd=self._project(spent_total, rates, now),
            data_age_s=rates.data_age_s,
        )

    def _project(self, spent: float, rates: SpendRates, now: float) -> float:
        """Egress is projected in GB and priced down the tiers; every other rate in USD/hour."""
        totals = rates.total_by_cost_center()
        egress_rate = rates.cdn_gb_per_hour * marginal_price(self.catalogue, self.cfg.cdn_key, self.month_to_date_gb)
        others = {**totals, "cdn": totals["cdn"] - egress_rate}
        remaining_gb = rates.cdn_gb_per_hour * remaining_profile_hours(now, self.cfg.diurnal_profile)
        egress = self.catalogue.cost(self.cfg.cdn_key, self.month_to_date_gb + remaining_gb) - self.catalogue.cost(
            self.cfg.cdn_key, self.month_to_date_gb
        )
        return project_daily(spent, others, now, self.cfg.diurnal_profile) + egress

    def _accumulate(self, rates: SpendRates) -> None:
        """Trapezoid between the previous and the current rates; the first reading of a day backfills."""
        if self.last is None:
            for center, usd in backfill_elapsed(rates, self.cfg.diurnal_profile).items():
                self.spent[center] += usd
        else:
            hours = (rates.at - self.last.at) / HOUR_S
            before, now_rates = self.last.total_by_cost_center(), rates.total_by_cost_center()
            for center in COST_CENTERS:
                self.spent[center] += (before[center] + now_rates[center]) / 2 * hours
            self.month_to_date_gb += (self.last.cdn_gb_per_hour + rates.cdn_gb_per_hour) / 2 * hours
        self.last = rates
