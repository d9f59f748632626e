"""The spend estimator agrees with the cost model on a normal day and projects the day's total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from finops.catalogue import default_catalogue
from finops.cost_model import Drivers, drivers_from_platforms, model_costs
from finops.spending import DAY_S, EstimatorConfig, SpendEstimator, estimator_config, marginal_price
from finops.usage import default_usage
from ports.clocks import FakeClock
from ports.interfaces import PortError
from ports.metrics import SignalName
from ports.types import Sample
from stacks.loading import load_prod_platforms

MIDNIGHT = 1_700_006_400.0  # a UTC midnight
MID_MONTH_GB = 15 * 120_000.0


class NormalDay:
    """Telemetry of the cost model's 3M-DAU day, shaped by the diurnal profile (a MetricsSource)."""

    def __init__(self, drivers: Drivers, clock: FakeClock, pool: str, gpu_instances: float, scale: float = 1.0):
        self.drivers, self.clock, self.pool, self.gpu, self.scale = drivers, clock, pool, gpu_instances, scale
        self.profile = default_usage().diurnal_profile
        self.regions = load_prod_platforms()["prod-us"].regions

    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]:
        now, t = self.clock.now(), self.drivers.traffic
        hour = int(now % DAY_S // 3600)
        views_per_min = t.dau * t.views_per_dau * self.profile[hour] / 60 * self.scale
        if signal == SignalName.VIDEO_STARTS_PER_MIN:
            return [
                Sample(labels={"region": r}, value=views_per_min * spec.traffic_share, timestamp=now)
                for r, spec in self.regions.items()
            ]
        if signal == SignalName.CACHE_HIT_RATIO:
            return [Sample(labels={"region": r}, value=0.95, timestamp=now) for r in self.regions]
        if signal == SignalName.POOL_INSTANCES:
            return [Sample(labels={"pool": self.pool, "state": "running"}, value=self.gpu, timestamp=now)]
        if signal == SignalName.TABLE_CONSUMED_WCU:
            return [
                Sample(labels={"table": tb.name, "region": "us-east-1"}, value=tb.writes_per_day / DAY_S, timestamp=now)
                for tb in self.drivers.tables
            ]
        return []


@pytest.fixture(scope="module")
def drivers() -> Drivers:
    return drivers_from_platforms(list(load_prod_platforms().values()))


@pytest.fixture(scope="module")
def all_spot_cfg(drivers: Drivers) -> EstimatorConfig:
    """The model assumes GPU encoding on spot (SPEC 9): price every pool instance at spot here."""
    cfg = estimator_config(list(load_prod_platforms().values()), drivers, default_usage(), default_catalogue())
    pools = {name: p.model_copy(update={"on_demand_base": 0}) for name, p in cfg.pools.items()}
    return cfg.model_copy(update={"pools": pools})


def run_day(source: NormalDay, clock: FakeClock, cfg: EstimatorConfig, until_s: float = DAY_S - 60):
    estimator = SpendEstimator(cfg, default_catalogue(), month_to_date_gb=MID_MONTH_GB)
    estimate = estimator.observe(source, clock.now())
    while clock.now() - MIDNIGHT < until_s:
        clock.advance(60)
        estimate = estimator.observe(source, clock.now())
    return estimate


def test_estimator_matches_cost_model_over_a_normal_day(drivers: Drivers, all_spot_cfg: EstimatorConfig) -> None:
    usage = default_usage()
    model = model_costs(drivers.traffic.dau, drivers, usage, default_catalogue())
    gpu_instances = next(li.quantity for li in model.lines if li.item == usage.purchase.gpu_price) / 30 / 24
    clock = FakeClock(MIDNIGHT)
    pool = next(iter(all_spot_cfg.pools))
    estimate = run_day(NormalDay(drivers, clock, pool, gpu_instances), clock, all_spot_cfg)
    day_fraction = (DAY_S - 60) / DAY_S
    for center, monthly in model.monthly_usd_by_cost_center.items():
        expected = monthly / usage.days_per_month * day_fraction
        assert estimate.spent_today_by_cost_center[center] == pytest.approx(expected, rel=0.02), center
    assert estimate.spent_today_usd == pytest.approx(model.total_monthly_usd / 30, rel=0.01)


def test_projection_at_noon_sees_the_whole_normal_day(drivers: Drivers, all_spot_cfg: EstimatorConfig) -> None:
    clock = FakeClock(MIDNIGHT)
    pool = next(iter(all_spot_cfg.pools))
    full = run_day(NormalDay(drivers, clock, pool, 2.3), clock, all_spot_cfg)
    clock = FakeClock(MIDNIGHT)
    noon = run_day(NormalDay(drivers, clock, pool, 2.3), clock, all_spot_cfg, until_s=12 * 3600)
    assert noon.projected_daily_usd == pytest.approx(full.spent_today_usd, rel=0.03)
    assert noon.spent_today_usd < 0.6 * full.spent_today_usd


def test_a_started_mid_day_estimator_backfills_the_morning(drivers: Drivers, all_spot_cfg: EstimatorConfig) -> None:
    clock = FakeClock(MIDNIGHT + 14 * 3600)
    pool = next(iter(all_spot_cfg.pools))
    estimate = SpendEstimator(all_spot_cfg, default_catalogue(), MID_MONTH_GB).observe(
        NormalDay(drivers, clock, pool, 2.3), clock.now()
    )
    assert estimate.projected_daily_usd == pytest.approx(7_900, rel=0.05)


def test_doubling_traffic_doubles_the_cdn_rate(drivers: Drivers, all_spot_cfg: EstimatorConfig) -> None:
    clock = FakeClock(MIDNIGHT + 9 * 3600)
    pool = next(iter(all_spot_cfg.pools))
    one = SpendEstimator(all_spot_cfg, default_catalogue(), MID_MONTH_GB).observe(
        NormalDay(drivers, clock, pool, 2.3), clock.now()
    )
    two = SpendEstimator(all_spot_cfg, default_catalogue(), MID_MONTH_GB).observe(
        NormalDay(drivers, clock, pool, 2.3, scale=2.0), clock.now()
    )
    assert two.rate_usd_per_hour_by_cost_center["cdn"] == pytest.approx(2 * one.rate_usd_per_hour_by_cost_center["cdn"])


def test_on_demand_base_is_priced_above_spot(drivers: Drivers) -> None:
    platforms = list(load_prod_platforms().values())
    cfg = estimator_config(platforms, drivers, default_usage(), default_catalogue())
    clock = FakeClock(MIDNIGHT + 3600)
    pool = "us-east-1-gpu"
    base = cfg.pools[pool].on_demand_base
    est = SpendEstimator(cfg, default_catalogue(), MID_MONTH_GB).observe(
        NormalDay(drivers, clock, pool, base + 10), clock.now()
    )
    cat = default_catalogue()
    expected = cat.cost("gpu_g4dn_xlarge_on_demand", base) + cat.cost("gpu_g4dn_xlarge_spot", 10)
    assert est.rate_usd_per_hour_by_cost_center["encoding"] == pytest.approx(expected)


def test_cdn_marginal_price_follows_the_month_to_date_tier() -> None:
    cat = default_catalogue()
    assert marginal_price(cat, "cdn_egress", 0) == pytest.approx(0.085)
    assert marginal_price(cat, "cdn_egress", 20_000) == pytest.approx(0.080)
    assert marginal_price(cat, "cdn_egress", 1_000_000) == pytest.approx(0.060)


class Silent:
    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]:
        return []


def test_no_telemetry_is_a_port_error(all_spot_cfg: EstimatorConfig) -> None:
    with pytest.raises(PortError, match="video-start"):
        SpendEstimator(all_spot_cfg, default_catalogue()).observe(Silent(), MIDNIGHT)


def test_projection_profile_is_the_sandbox_traffic_curve() -> None:
    import numpy as np

    from sandbox.physics import Physics
    from sandbox.traffic import scale_daily_curve

    curve = scale_daily_curve(
        Physics().hourly_views_shape, load_prod_platforms()["prod-us"].traffic.commute_peak_factor
    )
    hourly = (curve + np.roll(curve, -1)) / 2
    assert np.allclose(np.asarray(default_usage().diurnal_profile), hourly / hourly.sum(), atol=2e-6)


def test_first_day_of_the_month_is_projected_down_the_tiers(drivers: Drivers, all_spot_cfg: EstimatorConfig) -> None:
    def day(until_s: float):
        clock = FakeClock(MIDNIGHT)
        estimator = SpendEstimator(all_spot_cfg, default_catalogue(), month_to_date_gb=0.0)
        source = NormalDay(drivers, clock, next(iter(all_spot_cfg.pools)), 2.3)
        estimate = estimator.observe(source, clock.now())
        while clock.now() - MIDNIGHT < until_s:
            clock.advance(60)
            estimate = estimator.observe(source, clock.now())
        return estimate

    first_hour, whole = day(3600), day(DAY_S - 60)
    assert first_hour.projected_daily_usd == pytest.approx(whole.spent_today_usd, rel=0.03)
    assert whole.spent_today_by_cost_center["cdn"] > 8_000  # the 1st pays the $0.085 and $0.080 tiers
