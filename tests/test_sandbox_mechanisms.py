"""Mechanisms behave as the design says, beyond the two exposed calibrations."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox.running import build_sandbox, run_scenario
from sandbox.scenarios import load_scenario


def test_traffic_reproduces_spec_6_figures() -> None:
    sb = build_sandbox("regional-failure", seed=0)  # starts 16:50 on a Tuesday
    peak = sb.traffic.views(600.0).sum() * 60  # 17:00
    assert peak == pytest.approx(75_000, rel=1e-6)
    assert sb.traffic.views(600.0)[sb.region_names.index("us-east-1")] * 60 == pytest.approx(24_750, rel=1e-6)
    assert sb.traffic.writes(600.0).sum() * 60 == pytest.approx(62_500, rel=1e-6)
    day = np.mean([sb.traffic.views_factor(h * 60.0) for h in range(24 * 60)])
    assert day == pytest.approx(1.0, abs=0.01)


def test_social_mentions_lead_the_viral_views_by_tens_of_minutes() -> None:
    sb = build_sandbox("viral-surge", seed=3)
    i = sb.social.video_ids.index("v-viral")
    per = int(300 / sb.dt)
    mentions = sb.social.mentions[i].reshape(-1, per).sum(axis=1)
    views = sb.social.views[i].reshape(-1, per).sum(axis=1)

    def half_max(series: np.ndarray) -> int:
        return int(np.argmax(series >= series.max() / 2))

    lead_min = (half_max(views) - half_max(mentions)) * 5
    assert 10 <= lead_min <= 60
    surge_at = sb.surge_start_s
    assert surge_at is not None and half_max(mentions) * 5 * 60 <= surge_at - 15 * 60, "mentions lead the surge"
    false = sb.social.video_ids.index("v-false-1")
    false_mentions = sb.social.mentions[false].reshape(-1, per).sum(axis=1)
    assert false_mentions.max() > 0.5 * mentions.max()  # looks like a cascade at first: a real false alarm
    assert sb.social.views[false].sum() < 0.2 * sb.social.views[i].sum()


def test_the_surge_starts_when_the_viral_video_trends_and_not_without_it() -> None:
    sb = build_sandbox("viral-surge", seed=5)
    assert sb.scenario.surge is not None and sb.scenario.surge.trigger is not None
    threshold_per_min = sb.scenario.surge.trigger.views_per_hour / 60
    per_min = sb.social.views[sb.social.video_ids.index("v-viral")].reshape(-1, 12).sum(axis=1)
    first = int(np.argmax(per_min >= threshold_per_min))
    assert first > 0 and per_min[first] >= threshold_per_min
    assert sb.surge_start_s == (first + 1) * 60.0, "featured at the whole minute after its views reached 5K/h"
    before, after = sb.traffic.writes(sb.surge_start_s - 5).sum(), sb.traffic.writes(sb.surge_start_s).sum()
    assert after == pytest.approx(12 * before, rel=0.01)
    quiet = load_scenario("viral-surge")
    assert quiet.surge is not None and quiet.surge.trigger is not None
    never = quiet.surge.trigger.model_copy(update={"views_per_hour": 1e9})
    calm = build_sandbox(quiet.model_copy(update={"surge": quiet.surge.model_copy(update={"trigger": never})}), seed=5)
    assert calm.surge_start_s is None
    peak = max(float(calm.traffic.writes(float(t)).sum()) for t in range(0, 5400, 60))
    assert peak <= 1.01 * float(calm.traffic.normal_writes().sum()), "a video that never trends brings no surge"


def test_reactive_beats_nobody_on_the_viral_surge_but_still_throttles() -> None:
    none = run_scenario("viral-surge", "none", seed=2)
    reactive = run_scenario("viral-surge", "reactive", seed=2)
    assert 0 < reactive.throttled_writes < none.throttled_writes


def test_origin_failure_drains_the_cache_unless_mitigated() -> None:
    sc = load_scenario("origin-failure").model_copy(update={"duration_s": 2400.0})
    bare = run_scenario(sc, "none", seed=1)
    stale = run_scenario(sc.with_mitigations(serve_stale=True), "none", seed=1)
    failover = run_scenario(sc.with_mitigations(origin_failover=True), "none", seed=1)
    assert bare.cache_hit_ratio_min < 0.7
    assert stale.cache_hit_ratio_min == pytest.approx(0.95)
    assert failover.failed_starts < bare.failed_starts / 3
    assert stale.failed_starts < bare.failed_starts / 3


def test_saturday_peak_exercises_pools_and_never_crosses_a_jurisdiction() -> None:
    sc = load_scenario("saturday-upload-peak").model_copy(update={"duration_s": 4 * 3600.0})  # 12:00-16:00
    none = run_scenario(sc, "none", seed=4)
    reactive = run_scenario(sc, "reactive", seed=4)
    assert reactive.upload_to_live_p95_s < none.upload_to_live_p95_s
    assert reactive.capacity_cost_usd > none.capacity_cost_usd
    assert none.cross_jurisdiction_routes == reactive.cross_jurisdiction_routes == 0
    assert reactive.extras["spot_interruptions"] > 0


def test_future_load_sees_the_surge_coming_and_nothing_else_does() -> None:
    sb = build_sandbox("viral-surge", seed=1)
    surge_at = sb.surge_start_s
    assert surge_at is not None
    normal = sb.future_load(600.0)
    ahead = sb.future_load(surge_at + 300.0)
    table, region = sb.table_names[0], "us-east-1"
    assert ahead.write_units[table][region] == pytest.approx(12 * normal.write_units[table][region], rel=0.01)
    assert ahead.mentions["v-viral"] > normal.mentions["v-viral"]
    assert sb.now == 0.0  # reading the future does not move the model


def test_a_normal_hour_meets_the_slos() -> None:
    sc = load_scenario("normal-day").model_copy(update={"start": load_scenario("regional-failure").start,
                                                        "duration_s": 3600.0})  # fmt: skip
    out = run_scenario(sc, "reactive", seed=1)
    assert out.video_start_p95_ms < 300
    assert out.upload_to_live_p95_s < 30
    assert out.failed_starts == 0 and out.throttled_writes == 0 and out.lost_writes == 0
    assert out.cache_hit_ratio_min == pytest.approx(0.95)


def test_a_hot_key_throttles_whatever_the_table_capacity() -> None:
    from sandbox.running import NoControl, drive

    sc = load_scenario("az-failure-during-surge").with_mitigations(write_buffer=False)
    hot_physics = sc.physics.model_copy(update={"hot_key_share": {"view": 0.5}})
    results = []
    for scenario in (sc, sc.model_copy(update={"physics": hot_physics})):
        sb = build_sandbox(scenario, seed=1)
        for t in sb.ports.tables.describe_tables():  # warm far above the surge: capacity is not the limit
            sb.ports.tables.set_warm_throughput(t.table, t.region, 10_000, 0, dry_run=False)
        drive(sb, NoControl())
        results.append(sb.outcome())
    cold, hot = results
    assert cold.throttled_writes == 0
    assert hot.extras["throttled_view_writes"] > 0  # us-east-1 progress: 12x surge > 1,000 WCU / 0.5
    assert hot.extras["throttled_ml_writes"] == 0


@pytest.mark.parametrize(
    ("day", "start_h", "end_h", "share"),
    [("2026-11-21", 14, 18, 0.30), ("2026-11-22", 10, 14, 0.15), ("2026-11-17", 18, 21, 0.10),
     ("2026-11-17", 2, 6, 0.02)],
    ids=["saturday-2-6pm", "sunday-10am-2pm", "weekday-6-9pm", "weekday-2-6am"],
)  # fmt: skip
def test_uploads_follow_the_weekly_pattern(day: str, start_h: int, end_h: int, share: float) -> None:
    base = load_scenario("saturday-upload-peak")
    sc = type(base).model_validate({**base.model_dump(), "start": f"{day}T00:00:00Z"})
    sb = build_sandbox(sc, seed=0)
    minute = np.asarray([sb.traffic.uploads(m * 60.0).sum() * 60 for m in range(24 * 60)])
    assert minute.sum() == pytest.approx(90_000, rel=1e-6)
    assert minute[start_h * 60 : end_h * 60].sum() / minute.sum() == pytest.approx(share, rel=1e-6)


@pytest.mark.parametrize(
    ("dau", "expected"),
    [(3_000_000, 7_000), (10_000_000, 50_000)],
    ids=["3M-DAU-7K", "maturity-50K"],
)
def test_uploads_a_day_follow_the_dau_unless_the_scenario_says(dau: int, expected: float) -> None:
    """SPEC 3: ~7K uploads/day at 3M DAU, 50K at maturity; a scenario's uploads_per_day wins (SPEC 8 s.5)."""
    sb = build_sandbox(load_scenario("normal-day").with_dau(dau), seed=0)
    day = sum(sb.traffic.uploads(m * 60.0).sum() * 60 for m in range(24 * 60))
    assert day == pytest.approx(expected, rel=1e-6)
    peak = build_sandbox(load_scenario("saturday-upload-peak").with_dau(dau), seed=0)
    assert peak.traffic.uploads_per_day == 90_000


def test_with_the_write_buffer_a_region_failure_delays_writes_instead_of_losing_them() -> None:
    sc = load_scenario("regional-failure")
    bare = run_scenario(sc, "none", seed=2)
    buffered = run_scenario(sc.with_mitigations(write_buffer=True, standby=True), "none", seed=2)
    assert bare.lost_writes > 0
    assert buffered.lost_writes == 0 and buffered.extras["buffered_writes_pending"] == 0
    assert buffered.delayed_writes > 0
    assert buffered.extras["stored_writes"] == bare.extras["stored_writes"] + bare.lost_writes
