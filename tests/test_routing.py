"""route(): one table row per branch of SPEC section 2, on the real prod platform model."""

from __future__ import annotations

import math

import pytest

from controllers.routing.decide import route, route_batch
from controllers.routing.models import EncodeJob, RouterConfig, RouteReason
from ports.types import PoolState, RouteAction
from stacks.loading import load_prod_platforms

CONFIG = RouterConfig.from_platforms(load_prod_platforms().values())
EU_HOME, EU_OVER = "eu-west-1-gpu", "eu-central-1-gpu"


def pool(name: str, depth: int, running: int = 10, starting: int = 0, quota: int = 12, **kw: object) -> PoolState:
    region = name.removesuffix("-gpu")
    jurisdiction = {"eu": "EU", "us": "US", "ap": "APAC"}[region[:2]]
    fields: dict[str, object] = {
        "pool": name,
        "region": region,
        "jurisdiction": jurisdiction,
        "queue_depth": depth,
        "running": running,
        "starting": starting,
        "desired": running + starting,
        "min_size": 0,
        "max_size": quota,
        "quota_instances": quota,
        "observed_at": 0.0,
    }
    fields.update(kw)
    return PoolState.model_validate(fields)


def states(*pools: PoolState) -> dict[str, PoolState]:
    return {p.pool: p for p in pools}


JOB = EncodeJob(job_id="job-1", jurisdiction="EU", size_mb=80)

CASES = [
    pytest.param(
        states(pool(EU_HOME, 0), pool(EU_OVER, 0)),
        RouteAction.HOME, RouteReason.HOME_HAS_ROOM, EU_HOME, "eu-west-1",
        id="idle-home-takes-the-job",
    ),
    pytest.param(
        states(pool(EU_HOME, 499), pool(EU_OVER, 499, running=2, quota=10)),
        RouteAction.HOME, RouteReason.HOME_HAS_ROOM, EU_HOME, "eu-west-1",
        id="home-at-499-still-home-when-overflow-is-slower",
    ),
    pytest.param(
        states(pool(EU_HOME, 499), pool(EU_OVER, 0, running=2, quota=10)),
        RouteAction.OVERFLOW, RouteReason.OVERFLOW_FASTER, EU_OVER, "eu-central-1",
        id="home-past-30s-target-idle-overflow-faster",
    ),
    pytest.param(
        states(pool(EU_HOME, 499), pool(EU_OVER, 600, running=2, quota=10)),
        RouteAction.HOME, RouteReason.HOME_HAS_ROOM, EU_HOME, "eu-west-1",
        id="home-past-target-but-overflow-full-stays-home",
    ),
    pytest.param(
        states(pool(EU_HOME, 500), pool(EU_OVER, 20, running=2, quota=10)),
        RouteAction.OVERFLOW, RouteReason.OVERFLOW_HAS_ROOM, EU_OVER, "eu-central-1",
        id="home-at-500-overflows-in-eu",
    ),
    pytest.param(
        states(pool(EU_OVER, 20, running=2, quota=10)),
        RouteAction.OVERFLOW, RouteReason.HOME_UNTRUSTED_OVERFLOW, EU_OVER, "eu-central-1",
        id="home-unobserved-overflows",
    ),
    pytest.param(
        states(pool(EU_HOME, 0, jurisdiction="US"), pool(EU_OVER, 0)),
        RouteAction.OVERFLOW, RouteReason.HOME_UNTRUSTED_OVERFLOW, EU_OVER, "eu-central-1",
        id="home-state-claiming-us-is-untrusted",
    ),
    pytest.param(
        states(pool(EU_HOME, 700, running=12), pool(EU_OVER, 600, running=2, quota=10)),
        RouteAction.HOME, RouteReason.BOTH_BUSY_SHORTER_ETA, EU_HOME, "eu-west-1",
        id="both-busy-not-saturated-shorter-eta-home",
    ),
    pytest.param(
        states(pool(EU_HOME, 900, running=2), pool(EU_OVER, 600, running=10, quota=10)),
        RouteAction.OVERFLOW, RouteReason.BOTH_BUSY_SHORTER_ETA, EU_OVER, "eu-central-1",
        id="both-busy-not-saturated-shorter-eta-overflow",
    ),
    pytest.param(
        states(pool(EU_HOME, 1500, running=12), pool(EU_OVER, 1200, running=10, quota=10)),
        RouteAction.CPU_FALLBACK, RouteReason.SATURATED_CPU_FALLBACK, None, "eu-west-1",
        id="both-saturated-cpu-fallback-in-home-region",
    ),
    pytest.param(
        states(pool(EU_HOME, 1500, running=12), pool(EU_OVER, 1200, running=8, starting=2, quota=10)),
        RouteAction.CPU_FALLBACK, RouteReason.SATURATED_CPU_FALLBACK, None, "eu-west-1",
        id="starting-instances-count-toward-quota",
    ),
    pytest.param(
        states(pool(EU_HOME, 1500, running=11), pool(EU_OVER, 1900, running=10, quota=10)),
        RouteAction.HOME, RouteReason.BOTH_BUSY_SHORTER_ETA, EU_HOME, "eu-west-1",
        id="quota-left-is-not-saturated",
    ),
    pytest.param(
        states(pool(EU_HOME, 1001, running=300, quota=300), pool(EU_OVER, 1001, running=10, quota=10)),
        RouteAction.RATE_LIMIT, RouteReason.SATURATED_RATE_LIMIT, None, "eu-west-1",
        id="saturated-but-gpu-queue-beats-cpu-rate-limited",
    ),
    pytest.param(
        {},
        RouteAction.CPU_FALLBACK, RouteReason.NO_POOL_CPU_FALLBACK, None, "eu-west-1",
        id="no-observation-cpu-fallback-home",
    ),
    pytest.param(
        states(pool("us-east-1-gpu", 0, quota=50)),
        RouteAction.CPU_FALLBACK, RouteReason.NO_POOL_CPU_FALLBACK, None, "eu-west-1",
        id="only-us-pool-observed-never-used",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("pool_states", "action", "reason", "pool_name", "region"), CASES)
def test_route_table(
    pool_states: dict[str, PoolState], action: RouteAction, reason: RouteReason, pool_name: str | None, region: str
) -> None:
    decision = route(JOB, pool_states, CONFIG)
    assert (decision.action, decision.reason, decision.pool, decision.region) == (action, reason, pool_name, region)
    assert decision.expected_upload_to_live_s > 0


def test_home_eta_is_pipeline_when_instances_are_free() -> None:
    decision = route(JOB, states(pool(EU_HOME, 3, running=10)), CONFIG)
    assert decision.expected_upload_to_live_s == pytest.approx(20.0)
    assert decision.queue_position == 4


def test_queue_wait_counts_backlog_over_throughput() -> None:
    # 12 running at 200/h drain 2400/h = 0.667/s; 120 ahead and 12 busy: 109 to wait for.
    decision = route(JOB, states(pool(EU_HOME, 120, running=12)), CONFIG)
    assert decision.expected_upload_to_live_s == pytest.approx(109 / (12 * 200 / 3600) + 20.0)


def test_cpu_fallback_expects_the_pool_models_cpu_seconds() -> None:
    decision = route(JOB, {}, CONFIG)
    assert decision.expected_upload_to_live_s == pytest.approx(120.0)


def test_rate_limit_gives_honest_position_and_retry_after() -> None:
    saturated = states(pool(EU_HOME, 1001, running=300, quota=300), pool(EU_OVER, 1001, running=10, quota=10))
    decision = route(JOB, saturated, CONFIG)
    assert decision.queue_position == 1002
    assert decision.retry_after_s == pytest.approx(decision.expected_upload_to_live_s - 20.0)


def test_unknown_jurisdiction_is_rate_limited_nowhere() -> None:
    decision = route(EncodeJob(job_id="x", jurisdiction="MARS"), {}, CONFIG)
    assert (decision.action, decision.reason, decision.pool, decision.region) == (
        RouteAction.RATE_LIMIT,
        RouteReason.UNKNOWN_JURISDICTION,
        None,
        "",
    )
    assert decision.to_dict()["expected_upload_to_live_s"] is None
    assert math.isinf(decision.expected_upload_to_live_s)


def test_batch_counts_placed_jobs_into_the_next_decision() -> None:
    # home: 2 running; the 3rd job waits 9 s (29 s total), the 4th 18 s (38 s > 30 s): overflow
    jobs = [EncodeJob(job_id=f"j{i}", jurisdiction="EU") for i in range(4)]
    decisions = route_batch(jobs, states(pool(EU_HOME, 0, running=2), pool(EU_OVER, 0, quota=10)), CONFIG)
    assert [d.action for d in decisions] == [RouteAction.HOME] * 3 + [RouteAction.OVERFLOW]
    assert decisions[2].expected_upload_to_live_s == pytest.approx(29.0)


def test_every_jurisdiction_routes_home_first() -> None:
    for jurisdiction, name in (("US", "us-east-1-gpu"), ("APAC", "ap-southeast-1-gpu")):
        decision = route(EncodeJob(job_id="j", jurisdiction=jurisdiction), states(pool(name, 0)), CONFIG)
        assert decision.pool == name


def test_config_rejects_a_lane_outside_its_jurisdiction() -> None:
    lanes = dict(CONFIG.lanes)
    lanes["EU"] = CONFIG.lanes["EU"].model_copy(update={"overflow": CONFIG.lanes["US"].home})
    with pytest.raises(ValueError, match="us-east-1-gpu is in us-east-1, outside EU"):
        RouterConfig(lanes=lanes, residency=CONFIG.residency)


def test_a_copied_config_routes_with_its_own_numbers() -> None:
    strict = CONFIG.model_copy(update={"target_upload_to_live_s": 20.0})
    busy = states(pool(EU_HOME, 0, running=10, in_flight=10), pool(EU_OVER, 0, quota=10))
    assert route(JOB, busy, CONFIG).pool == EU_HOME  # 21.8 s <= 30 s
    assert route(JOB, busy, strict).pool == EU_OVER  # 21.8 s > 20 s and the overflow is idle
