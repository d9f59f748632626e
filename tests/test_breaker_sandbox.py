"""The breaker on the embedded sandbox: a runaway trips it within 2 control intervals, its levers cut
spend without touching playback, and they are back at their values when it closes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from controllers.breaker.breaking import build_breaker
from controllers.breaker.sandbox_adapters import BreakerStrategy
from sandbox.running import Reactive, build_sandbox, drive
from sandbox.scenarios import Scenario, load_scenario
from stacks.loading import load_prod_platforms

RUNAWAY = Path(__file__).resolve().parent.parent / "finops" / "scenarios" / "runaway-spend.yaml"


def short_runaway(lead_s: float = 600, after_s: float = 900) -> Scenario:
    """The runaway scenario cut to the minutes around its onset (09:00)."""
    sc = load_scenario(RUNAWAY)
    assert sc.surge is not None
    onset = sc.surge.start_s
    return sc.model_copy(
        update={
            "start": sc.start + timedelta(seconds=onset - lead_s),
            "duration_s": lead_s + after_s,
            "surge": sc.surge.model_copy(update={"start_s": lead_s}),
        }
    )


def run(sc: Scenario) -> tuple[BreakerStrategy, object]:
    platforms = load_prod_platforms()
    sb = build_sandbox(sc, 0, platforms)
    strategy = BreakerStrategy(sb, build_breaker(list(platforms.values()), month_to_date_gb=16 * 120_000.0), Reactive())
    drive(sb, strategy)
    return strategy, sb


def test_runaway_opens_the_breaker_within_two_intervals_and_cuts_the_fetches() -> None:
    sc = short_runaway()
    strategy, sb = run(sc)
    onset = sc.start_epoch + 600
    opened = next(p for p in strategy.trace if p.state == "open")
    assert (opened.at - onset) / sc.control_interval_s <= 2
    assert sb.traffic.surge.views[0] < 3.5  # type: ignore[attr-defined]  # prefetch reduced: fewer fetches
    assert strategy.knobs.read_knobs()["prefetch_depth"] == 1
    assert sb.outcome().cross_jurisdiction_routes == 0
    assert {c for c, _, _ in strategy.notifier.sent} >= {"oncall", "finance"}


def test_sandbox_levers_restore_exactly() -> None:
    sc = short_runaway(after_s=60)
    platforms = load_prod_platforms()
    sb = build_sandbox(sc, 0, platforms)
    strategy = BreakerStrategy(sb, build_breaker(list(platforms.values())), Reactive())
    mix, surge = sb.traffic.mix.copy(), sb.traffic.surge
    knobs = strategy.knobs
    for name, value in {"analytics_sample_rate": 0.1, "prefetch_depth": 1.0, "spot_burst_share": 0.25}.items():
        knobs.set_knob(name, value, dry_run=False)
    assert (sb.traffic.mix != mix).any() and sb.traffic.surge != surge
    for name, value in {"analytics_sample_rate": 1.0, "prefetch_depth": 3.0, "spot_burst_share": 1.0}.items():
        knobs.set_knob(name, value, dry_run=False)
    assert (sb.traffic.mix == mix).all() and sb.traffic.surge == surge


@pytest.mark.parametrize("hour", [2, 8, 17])
def test_a_normal_hour_does_not_trip(hour: int) -> None:
    sc = load_scenario("normal-day")
    sc = sc.model_copy(update={"start": sc.start + timedelta(hours=hour), "duration_s": 1200.0, "tick_s": 30.0})
    strategy, _ = run(sc)
    assert {p.state for p in strategy.trace} <= {"closed"}
