"""decide_pool(): table of SPEC section 3 rules on the prod EU/US pools, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controllers.pool_scaling.decide import active_peak, decide, decide_pool
from controllers.pool_scaling.models import PoolScalingConfig, PoolScalingObservation, ScaleReason
from controllers.pool_scaling.scaling import PoolScaler
from ports.clocks import FakeClock
from ports.types import PoolState
from stacks.loading import load_prod_platforms

SCALER = PoolScaler.from_platforms(load_prod_platforms().values())
US = SCALER.configs["us-east-1-gpu"]  # min 12, cap 50 (200 vCPU / 4), saturday peak 21
EU_OVER = SCALER.configs["eu-central-1-gpu"]  # min 2, cap 10
TUESDAY_NOON = datetime(2026, 11, 17, 12, 0, tzinfo=UTC).timestamp()
SATURDAY_1325 = datetime(2026, 11, 21, 13, 25, tzinfo=UTC).timestamp()
SATURDAY_1335 = datetime(2026, 11, 21, 13, 35, tzinfo=UTC).timestamp()
SATURDAY_1759 = datetime(2026, 11, 21, 17, 59, tzinfo=UTC).timestamp()
SATURDAY_1800 = datetime(2026, 11, 21, 18, 0, tzinfo=UTC).timestamp()


def state(config: PoolScalingConfig, depth: int, running: int, starting: int = 0, **kw: object) -> PoolState:
    fields: dict[str, object] = {
        "pool": config.pool,
        "region": config.region,
        "jurisdiction": config.jurisdiction,
        "queue_depth": depth,
        "running": running,
        "starting": starting,
        "desired": running + starting,
        "min_size": config.min_size,
        "max_size": config.max_size,
        "quota_instances": config.quota_instances,
        "observed_at": 0.0,
    }
    fields.update(kw)
    return PoolState.model_validate(fields)


CASES = [
    pytest.param(US, dict(depth=60, running=20), TUESDAY_NOON, "hold", ScaleReason.HOLD_BAND, 20,
                 id="depth-60-holds"),
    pytest.param(US, dict(depth=10, running=30), TUESDAY_NOON, "scale_in", ScaleReason.STEP_IN, 29,
                 id="depth-10-steps-in-by-one"),
    pytest.param(US, dict(depth=10, running=12), TUESDAY_NOON, "hold", ScaleReason.MIN_SIZE, 12,
                 id="step-in-stops-at-min-size"),
    pytest.param(US, dict(depth=10, running=20, starting=2), TUESDAY_NOON, "hold", ScaleReason.STEADY, 22,
                 id="no-step-in-while-instances-start"),
    pytest.param(EU_OVER, dict(depth=0, running=8, idle_seconds=601), TUESDAY_NOON, "scale_in",
                 ScaleReason.MIN_SIZE, 2, id="idle-ten-minutes-back-to-min"),
    pytest.param(EU_OVER, dict(depth=0, running=8, idle_seconds=500), TUESDAY_NOON, "hold",
                 ScaleReason.STEADY, 8, id="idle-under-ten-minutes-keeps-eight"),
    pytest.param(EU_OVER.model_copy(update={"min_size": 0}), dict(depth=1, running=0, idle_seconds=9999, min_size=0),
                 TUESDAY_NOON, "scale_out", ScaleReason.KEEP_ONE_FOR_WORK, 1, id="never-zero-with-work"),
    pytest.param(US, dict(depth=150, running=12), TUESDAY_NOON, "scale_out", ScaleReason.BACKLOG_TARGET, 45,
                 id="depth-150-backlog-target-beats-plus-ten"),
    pytest.param(US.model_copy(update={"drain_target_s": 3600.0}), dict(depth=150, running=12), TUESDAY_NOON,
                 "scale_out", ScaleReason.STEP_OUT_SMALL, 22, id="depth-150-plus-ten"),
    pytest.param(US.model_copy(update={"drain_target_s": 3600.0}), dict(depth=600, running=12), TUESDAY_NOON,
                 "scale_out", ScaleReason.STEP_OUT_LARGE, 32, id="depth-600-plus-twenty"),
    pytest.param(US.model_copy(update={"drain_target_s": 3600.0}), dict(depth=600, running=12, starting=20),
                 TUESDAY_NOON, "hold", ScaleReason.WAIT_FOR_STARTING, 32, id="starting-instances-no-double-launch"),
    pytest.param(US, dict(depth=60, running=10, starting=40), TUESDAY_NOON, "hold", ScaleReason.HOLD_BAND, 50,
                 id="backlog-counts-starting-instances"),
    pytest.param(US, dict(depth=900, running=12), TUESDAY_NOON, "scale_out", ScaleReason.QUOTA_CAPPED, 50,
                 id="quota-caps-at-50"),
    pytest.param(US, dict(depth=900, running=12, quota_instances=30), TUESDAY_NOON, "scale_out",
                 ScaleReason.QUOTA_CAPPED, 30, id="observed-lower-quota-caps"),
    pytest.param(US, dict(depth=0, running=12), SATURDAY_1325, "hold", ScaleReason.MIN_SIZE, 12,
                 id="saturday-1325-too-early-for-peak"),
    pytest.param(US, dict(depth=0, running=12), SATURDAY_1335, "scale_out", ScaleReason.PEAK_PRESCALE, 21,
                 id="saturday-1335-prescales-30-min-ahead"),
    pytest.param(US, dict(depth=0, running=21, idle_seconds=9999), SATURDAY_1759, "hold",
                 ScaleReason.PEAK_PRESCALE, 21, id="peak-holds-capacity-while-idle"),
    pytest.param(US, dict(depth=0, running=21, idle_seconds=9999), SATURDAY_1800, "scale_in",
                 ScaleReason.MIN_SIZE, 12, id="after-peak-idle-scales-in"),
]  # fmt: skip


@pytest.mark.parametrize(("config", "observed", "now", "action", "reason", "desired"), CASES)
def test_decide_pool_table(
    config: PoolScalingConfig,
    observed: dict[str, int],
    now: float,
    action: str,
    reason: ScaleReason,
    desired: int,
) -> None:
    clock = FakeClock(start=now)
    verdict = decide_pool(state(config, **observed), config, clock.now())
    assert (verdict.action, verdict.reason, verdict.desired) == (action, reason, desired), verdict.requirements


def test_peak_window_follows_the_fake_clock() -> None:
    clock = FakeClock(start=SATURDAY_1325)
    assert active_peak(US, clock.now()) is None
    clock.advance(10 * 60)
    peak = active_peak(US, clock.now())
    assert peak is not None and peak.name == "saturday-afternoon"
    clock.advance(4.5 * 3600)
    assert active_peak(US, clock.now()) is None


def test_peak_capacity_comes_from_the_traffic_model() -> None:
    # 50K uploads/day * 30% over 4 h * US share 0.5 = 1,875/h; / (200/h * 0.45) = 20.8 -> 21
    assert US.peak_instances["saturday-afternoon"] == 21
    # EU: 1,125/h -> 13 instances: the home pool's 12 (its cap) and 1 in the overflow pool
    peaks = {c.pool: c.peak_instances["saturday-afternoon"] for c in SCALER.configs.values() if c.jurisdiction == "EU"}
    assert peaks == {"eu-west-1-gpu": 12, "eu-central-1-gpu": 1}


def test_decide_never_acts_on_a_pool_claiming_another_jurisdiction() -> None:
    rogue = state(US, depth=900, running=12, jurisdiction="EU")
    decision = decide(PoolScalingObservation(states=(rogue,)), SCALER.configs, TUESDAY_NOON)
    assert decision.is_noop and decision.pools == ()
    assert decision.details == {"skipped_pools": ["us-east-1-gpu"]}


def test_decide_summarises_changes() -> None:
    observed = (state(US, depth=900, running=12), state(EU_OVER, depth=60, running=10))
    decision = decide(PoolScalingObservation(states=observed), SCALER.configs, TUESDAY_NOON)
    assert (decision.action, decision.reason) == ("scale", "capped_by_quota_or_max_size")
    assert [p.action for p in decision.pools] == ["scale_out", "hold"]


def test_arrival_rate_sizes_the_jurisdiction_home_first() -> None:
    # 5,400 jobs/h at 200/h per instance and 45% utilisation = 60 instances: home cap 50, overflow 10
    observed = (state(US, depth=0, running=12), state(SCALER.configs["us-west-2-gpu"], depth=0, running=2))
    arrivals = {"us-east-1-gpu": 4_000.0, "us-west-2-gpu": 1_400.0}
    decision = decide(PoolScalingObservation(states=observed, arrivals_per_hour=arrivals), SCALER.configs, TUESDAY_NOON)
    assert [(p.pool, p.requirements["arrivals"], p.desired) for p in decision.pools] == [
        ("us-east-1-gpu", 50, 50),
        ("us-west-2-gpu", 10, 10),
    ]
    assert decision.pools[1].reason == ScaleReason.ARRIVAL_RATE


def test_nan_arrivals_are_ignored() -> None:
    observed = (state(US, depth=0, running=12),)
    obs = PoolScalingObservation(states=observed, arrivals_per_hour={"us-east-1-gpu": float("nan")})
    (verdict,) = decide(obs, SCALER.configs, TUESDAY_NOON).pools
    assert verdict.requirements["arrivals"] == 0
