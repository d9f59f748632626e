"""Finance's cost model and the sandbox's spend meter price the same platform with the same conventions.

Each convention lives in one place (MB -> GB -> TB: the catalogue's ``units``; uploads per day at a
DAU: ``TrafficSpec.uploads_per_day_at``; SQS requests per buffered write, caption minutes per upload,
CDN requests per view, days per month: ``finops/usage.yaml``). These tests run the sandbox and the
cost model side by side and fail if either side grows its own copy again.

Compared per catalogue item and per cost centre where both sides model the same usage: CDN (egress,
shield requests), ML (captions), DynamoDB reads, uploads. Not compared, on purpose: encoding and app
(the sandbox meters the capacity the stacks hold, e.g. on-demand GPU bases, where the model prices
SPEC 9's design hours) and DynamoDB writes (the sandbox models SPEC 6's 60M interactions/day on three
tables; the model prices every SPEC 5 table's volume, 242M writes/day).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from finops.catalogue import default_catalogue
from finops.cost_model import CostModel, Drivers, derive_monthly_usage, drivers_from_platforms, model_costs
from finops.usage import default_usage
from sandbox.engine import Sandbox
from sandbox.physics import Physics
from sandbox.scenarios import Scenario, load_scenario
from sandbox.spend import SpendMeter
from stacks.loading import load_prod_platforms
from stacks.model import PlatformModel

DAY_S = 86_400.0
CDN_TOLERANCE = 0.01  # same curve, same price rule: only the hour's linear interpolation differs
CAPTION_TOLERANCE = 0.05  # Poisson arrivals: ~7K uploads/day, sd ~1.2%
PEAK_HOUR = 17  # 17:00-18:00 UTC, the commute peak of the daily curve


@pytest.fixture(scope="module")
def platforms() -> dict[str, PlatformModel]:
    return load_prod_platforms()


@pytest.fixture(scope="module")
def drivers(platforms: dict[str, PlatformModel]) -> Drivers:
    return drivers_from_platforms(list(platforms.values()))


def model_at(dau: int, drivers: Drivers) -> CostModel:
    return model_costs(dau, drivers, default_usage(), default_catalogue())


def monthly_quantity(dau: int, drivers: Drivers, item: str) -> float:
    lines = derive_monthly_usage(dau, drivers, default_usage(), default_catalogue().units)
    return sum(line.quantity for line in lines if line.item == item)


def normal_day_hour(hour: int, dau: int) -> Scenario:
    """The normal day cut to one hour starting at ``hour`` UTC, at ``dau``."""
    base = load_scenario("normal-day")
    start = base.start.astimezone(UTC).replace(hour=hour)
    return base.model_copy(update={"start": start, "duration_s": 3600.0, "dau": dau})


def run_sandbox(platforms: dict[str, PlatformModel], scenario: Scenario) -> Sandbox:
    sb = Sandbox(platforms, scenario, seed=0)
    sb.run()
    return sb


def test_uploads_curve_passes_through_spec_3_points(drivers: Drivers) -> None:
    t = drivers.traffic
    assert t.uploads_per_day_at(3_000_000) == pytest.approx(7_000)  # SPEC 3: ~7K/day at 3M DAU
    assert t.uploads_per_day_at(10_000_000) == pytest.approx(50_000)  # SPEC 3: 50K/day at maturity
    assert t.uploads_per_day_at(0) == 0
    points = [t.uploads_per_day_at(d) for d in range(0, 14_000_001, 500_000)]
    assert points == sorted(points)


@pytest.mark.parametrize("dau", [3_000_000, 10_000_000])
def test_sandbox_uploads_a_day_are_the_models_uploads_at_that_dau(
    platforms: dict[str, PlatformModel], drivers: Drivers, dau: int
) -> None:
    """The sandbox's upload rates over a Tuesday integrate to the cost model's uploads per day."""
    sb = Sandbox(platforms, load_scenario("normal-day").with_dau(dau), seed=0)
    step = 60.0
    day = sum(float(sb.traffic.uploads(t).sum()) * step for t in range(0, int(DAY_S), int(step)))
    model = model_at(dau, drivers)
    assert day == pytest.approx(model.uploads_per_month / default_usage().days_per_month, rel=1e-3)
    assert day == pytest.approx(drivers.traffic.uploads_per_day_at(dau), rel=1e-3)


@pytest.mark.parametrize(
    ("dau", "egress_item"),
    [
        pytest.param(3_000_000, "cdn_egress", id="3M-DAU-tiered"),
        pytest.param(10_000_000, "cdn_egress_volume_commit", id="10M-DAU-volume-commit"),
    ],
)
def test_peak_hour_cdn_spend_matches_the_cost_model(
    platforms: dict[str, PlatformModel], drivers: Drivers, dau: int, egress_item: str
) -> None:
    """An hour of the normal day: metered GB, shield requests and CDN dollars = the model's share of that hour."""
    usage = default_usage()
    sb = run_sandbox(platforms, normal_day_hour(PEAK_HOUR, dau))
    hour_share = usage.diurnal_profile[PEAK_HOUR] / usage.days_per_month
    model = model_at(dau, drivers)
    assert sb.spend.egress_item == egress_item
    for item in (egress_item, "origin_shield_requests"):
        expected = monthly_quantity(dau, drivers, item) * hour_share
        assert sb.spend.quantities[item] == pytest.approx(expected, rel=CDN_TOLERANCE), item
    assert sb.spend.by_centre["cdn"] == pytest.approx(
        model.monthly_usd_by_cost_center["cdn"] * hour_share, rel=CDN_TOLERANCE
    )
    reads = monthly_quantity(dau, drivers, "dynamodb_read_request") / usage.days_per_month / 24
    assert sb.spend.quantities["dynamodb_read_request"] == pytest.approx(reads, rel=1e-6)


def test_normal_day_captions_and_cdn_match_the_cost_model(
    platforms: dict[str, PlatformModel], drivers: Drivers
) -> None:
    """A whole normal day at the model's DAU: ML (captions) and CDN per day agree with the model's month / 30."""
    dau = drivers.traffic.dau
    days = default_usage().days_per_month
    sb = run_sandbox(platforms, load_scenario("normal-day"))
    model = model_at(dau, drivers)
    assert sb.spend.by_centre["ml"] == pytest.approx(
        model.monthly_usd_by_cost_center["ml"] / days, rel=CAPTION_TOLERANCE
    )
    assert sb.spend.quantities["asr_captions"] == pytest.approx(
        monthly_quantity(dau, drivers, "asr_captions") / days, rel=CAPTION_TOLERANCE
    )
    assert sb.spend.by_centre["cdn"] == pytest.approx(model.monthly_usd_by_cost_center["cdn"] / days, rel=CDN_TOLERANCE)


def test_one_sqs_ratio_for_the_write_buffer(drivers: Drivers) -> None:
    """A buffered write costs the same SQS requests in the sandbox's meter and in the cost model."""
    usage, catalogue = default_usage(), default_catalogue()
    meter = SpendMeter(catalogue, usage, daily_views=1.0, avg_video_mb=drivers.traffic.avg_video_mb)
    meter.meter_writes(on_demand_writes=0.0, buffered_writes=1e6, reads=0.0)
    assert meter.quantities["sqs_request"] == pytest.approx(usage.drivers.sqs_requests_per_buffered_write)
    dau = usage.reference.dau
    buffered_m = sum(t.writes_per_day for t in drivers.tables if t.priority != 1) * usage.days_per_month / 1e6
    assert monthly_quantity(dau, drivers, "sqs_request") == pytest.approx(
        buffered_m * usage.drivers.sqs_requests_per_buffered_write
    )
    assert usage.drivers.sqs_requests_per_buffered_write == pytest.approx(
        1.2
    )  # SPEC 5: 1 send + 10-batch receive/delete


def test_sandbox_physics_keeps_no_pricing_conventions() -> None:
    """Pricing conventions are not physics: a scenario cannot give the sandbox its own copy."""
    fields = set(Physics.model_fields)
    assert not fields & {"sqs_requests_per_write", "caption_minutes_per_upload", "mb_per_gb"}


def test_start_is_the_scenario_hour() -> None:
    sc = normal_day_hour(PEAK_HOUR, 3_000_000)
    assert datetime.fromtimestamp(sc.start_epoch, UTC).hour == PEAK_HOUR
