"""Budget breaker transitions as table tests (pure decide, fake clock), and restore after close."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controllers.breaker.decide import decide_breaker
from controllers.breaker.models import (
    BillingAlert,
    BreakerConfig,
    BreakerDecision,
    BreakerMemory,
    BreakerObservation,
    BreakerPolicy,
    BreakerState,
    Override,
    load_policy,
)
from finops.spending import SpendEstimate
from finops.validating import FinopsInputError
from ports.clocks import FakeClock
from stacks.loading import load_platform

S = BreakerState
DAY0 = 1_700_006_400.0  # UTC midnight
NOON = DAY0 + 12 * 3600
POLICY = load_policy()
NAMES = tuple(d.name for d in POLICY.degradations)
RATES = {"cdn": 600.0, "encoding": 40.0, "data": 20.0, "app": 6.0, "ml": 5.0, "storage": 1.0, "observability": 1.0}


@pytest.fixture(scope="module")
def cfg() -> BreakerConfig:
    budgets = load_platform("prod-global").settings.budgets
    assert budgets is not None
    return BreakerConfig(budget=budgets, policy=POLICY)


def spend(projected: float, at: float, age: float = 10.0) -> SpendEstimate:
    return SpendEstimate(
        at=at,
        day_start=DAY0,
        spent_today_by_cost_center={},
        spent_today_usd=projected / 2,
        rate_usd_per_hour_by_cost_center=RATES,
        rate_usd_per_hour=sum(RATES.values()),
        projected_daily_usd=projected,
        data_age_s=age,
    )


def observe(
    projected: float,
    memory: BreakerMemory,
    at: float = NOON,
    age: float = 10.0,
    billing: BillingAlert | None = None,
    knobs: dict[str, float] | None = None,
) -> BreakerObservation:
    normal = {d.knob.value: d.normal for d in POLICY.degradations}
    return BreakerObservation(
        at=at, spend=spend(projected, at, age), knobs=knobs or normal, memory=memory, billing=billing
    )


def opened(since: float, applied: tuple[str, ...] = NAMES[:2], last_step: float | None = None) -> BreakerMemory:
    saved = {d.knob.value: d.normal for d in POLICY.degradations if d.name in applied}
    return BreakerMemory(
        state=S.OPEN,
        since=since,
        last_step_at=since if last_step is None else last_step,
        applied=applied,
        tripped=applied,
        saved=saved,
    )


def half_open(last_step: float, applied: tuple[str, ...]) -> BreakerMemory:
    m = opened(NOON - 3600, applied, last_step)
    return m.model_copy(update={"state": S.HALF_OPEN, "tripped": NAMES[:2]})


CASES = [
    # id, memory, projected, now, state, action, reason
    ("closed-quiet", BreakerMemory(), 9_000, NOON, S.CLOSED, "noop", "within_band"),
    ("closed-to-warn", BreakerMemory(), 10_000, NOON, S.WARN, "transition", "above_notify"),
    ("closed-to-page", BreakerMemory(), 12_500, NOON, S.PAGE, "transition", "above_page"),
    ("closed-to-open", BreakerMemory(), 15_000, NOON, S.OPEN, "trip", "above_breaker"),
    ("warn-held-by-hysteresis", BreakerMemory(state=S.WARN), 9_700, NOON, S.WARN, "noop", "hysteresis_hold"),
    ("warn-to-closed", BreakerMemory(state=S.WARN), 9_400, NOON, S.CLOSED, "transition", "below_threshold"),
    ("page-to-warn", BreakerMemory(state=S.PAGE), 11_300, NOON, S.WARN, "transition", "below_threshold"),
    ("page-to-closed-two-levels", BreakerMemory(state=S.PAGE), 9_000, NOON, S.CLOSED, "transition", "below_threshold"),
    ("page-to-open", BreakerMemory(state=S.PAGE), 15_001, NOON, S.OPEN, "trip", "above_breaker"),
    ("open-hysteresis", opened(NOON - 3600), 14_500, NOON, S.OPEN, "noop", "hysteresis_hold"),
    ("open-min-hold", opened(NOON - 60), 13_000, NOON, S.OPEN, "noop", "open_min_hold"),
    ("open-to-half-open", opened(NOON - 900), 13_000, NOON, S.HALF_OPEN, "restore", "half_open_step"),
    ("open-waits-for-effect", opened(NOON - 60), 16_000, NOON, S.OPEN, "noop", "still_above_breaker"),
    (
        "open-hold-doubles-after-relapses",
        opened(NOON - 1800).model_copy(update={"relapses": 2}),
        13_000,
        NOON,
        S.OPEN,
        "noop",
        "open_min_hold",
    ),
    (
        "open-hold-after-backoff",
        opened(NOON - 3600).model_copy(update={"relapses": 2}),
        13_000,
        NOON,
        S.HALF_OPEN,
        "restore",
        "half_open_step",
    ),
    ("open-escalates", opened(NOON - 600), 16_000, NOON, S.OPEN, "escalate", "still_above_breaker"),
    ("open-all-applied", opened(NOON - 600, NAMES), 16_000, NOON, S.OPEN, "noop", "all_degradations_applied"),
    ("half-open-relapse", half_open(NOON - 60, NAMES[:1]), 15_100, NOON, S.OPEN, "trip", "half_open_relapse"),
    ("half-open-probe", half_open(NOON - 60, NAMES[:1]), 13_000, NOON, S.HALF_OPEN, "noop", "half_open_probe"),
    ("half-open-next-step", half_open(NOON - 600, NAMES[:1]), 13_000, NOON, S.HALF_OPEN, "restore", "half_open_step"),
    ("half-open-closes", half_open(NOON - 600, ()), 9_000, NOON, S.CLOSED, "restore", "recovered"),
    ("half-open-closes-to-page", half_open(NOON - 600, ()), 12_200, NOON, S.PAGE, "restore", "recovered"),
]


@pytest.mark.parametrize(
    ("memory", "projected", "now", "state", "action", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_transitions(
    cfg: BreakerConfig, memory: BreakerMemory, projected: float, now: float, state: S, action: str, reason: str
) -> None:
    d = decide_breaker(observe(projected, memory, at=now), cfg, now)
    assert (d.state, d.action, d.reason) == (state, action, reason)
    assert d.memory.state == state


def test_relapse_counts_and_close_resets_the_backoff(cfg: BreakerConfig) -> None:
    relapse = decide_breaker(observe(15_100, half_open(NOON - 60, NAMES[:1])), cfg, NOON)
    assert relapse.memory.relapses == 1
    closed = decide_breaker(observe(9_000, half_open(NOON - 600, ()).model_copy(update={"relapses": 3})), cfg, NOON)
    assert closed.state == S.CLOSED and closed.memory.relapses == 0


def test_trip_applies_least_impact_first_until_the_estimate_is_under(cfg: BreakerConfig) -> None:
    d = decide_breaker(observe(15_200, BreakerMemory()), cfg, NOON)
    applied = d.details["applied"]
    assert applied == list(NAMES[: len(applied)])
    assert d.knob_targets == {x.knob.value: x.degraded for x in POLICY.degradations if x.name in applied}
    assert "reduce_prefetch" in applied  # CDN dominates: only prefetch moves a $600/h CDN rate enough
    assert set(d.notify) == {"oncall", "finance", "engineering"}


def test_stale_telemetry_holds_the_state(cfg: BreakerConfig) -> None:
    d = decide_breaker(observe(20_000, BreakerMemory(), age=3600), cfg, NOON)
    assert (d.state, d.action, d.reason) == (S.CLOSED, "noop", "stale_data")


@pytest.mark.parametrize(
    ("received", "state"), [(NOON - 60, S.OPEN), (DAY0 - 60, S.CLOSED)], ids=["today-trips", "yesterday-ignored"]
)
def test_budget_topic_is_a_floor_under_the_projection(cfg: BreakerConfig, received: float, state: S) -> None:
    alert = BillingAlert(
        budget_name="reelops-daily", threshold_usd=15_000, amount_usd=15_400, kind="actual", received_at=received
    )
    d = decide_breaker(observe(9_000, BreakerMemory(), billing=alert), cfg, NOON)
    assert d.state == state
    if state == S.OPEN:
        assert (d.reason, d.signal_source, d.signal_usd) == ("billing_signal", "billing", 15_400)


def test_stale_telemetry_does_not_mask_a_billing_alert(cfg: BreakerConfig) -> None:
    alert = BillingAlert(budget_name="b", threshold_usd=15_000, amount_usd=16_000, kind="actual", received_at=NOON)
    d = decide_breaker(observe(9_000, BreakerMemory(), age=3600, billing=alert), cfg, NOON)
    assert d.state == S.OPEN


def test_override_open_applies_everything_and_holds(cfg: BreakerConfig) -> None:
    memory = BreakerMemory(override=Override(state=S.OPEN, until=NOON + 3600, reason="drill", by="sre"))
    d = decide_breaker(observe(5_000, memory), cfg, NOON)
    assert (d.state, d.action, d.reason) == (S.OPEN, "trip", "override")
    assert set(d.memory.applied) == set(NAMES)
    again = decide_breaker(observe(5_000, d.memory), cfg, NOON + 60)
    assert (again.state, again.action) == (S.OPEN, "noop")


def test_override_closed_restores_everything(cfg: BreakerConfig) -> None:
    memory = opened(NOON - 60).model_copy(
        update={"override": Override(state=S.CLOSED, until=None, reason="launch day", by="cfo")}
    )
    d = decide_breaker(observe(16_000, memory), cfg, NOON)
    assert (d.state, d.action, d.reason) == (S.CLOSED, "restore", "override")
    assert d.memory.applied == () and d.memory.saved == {}
    assert d.knob_targets == {x.knob.value: x.normal for x in POLICY.degradations if x.name in NAMES[:2]}


def test_expired_override_is_dropped_and_recorded(cfg: BreakerConfig) -> None:
    memory = BreakerMemory(override=Override(state=S.CLOSED, until=NOON - 1, reason="x", by="y"))
    d = decide_breaker(observe(9_000, memory), cfg, NOON)
    assert (d.action, d.reason, d.memory.override) == ("record", "override_expired", None)


def run_cycle(
    cfg: BreakerConfig, clock: FakeClock, knobs: dict[str, float], memory: BreakerMemory, projected: float, minutes: int
) -> tuple[BreakerMemory, list[BreakerDecision]]:
    decisions = []
    for _ in range(minutes):
        d = decide_breaker(observe(projected, memory, at=clock.now(), knobs=dict(knobs)), cfg, clock.now())
        knobs.update(d.knob_targets)
        memory = d.memory
        decisions.append(d)
        clock.advance(60)
    return memory, decisions


def test_restore_after_close_puts_back_the_values_before_the_trip(cfg: BreakerConfig) -> None:
    clock = FakeClock(NOON)
    before = {"spot_burst_share": 0.8, "analytics_sample_rate": 0.5, "prefetch_depth": 2.0, "backlog_encodes": 1.0}
    knobs = dict(before)
    memory, trip = run_cycle(cfg, clock, knobs, BreakerMemory(), 18_000, 10)
    assert memory.state == S.OPEN and trip[0].action == "trip"
    assert set(memory.applied) == set(NAMES)  # escalated while still above
    assert knobs != before
    memory, back = run_cycle(cfg, clock, knobs, memory, 9_000, 90)
    assert memory.state == S.CLOSED
    assert [d.reason for d in back].count("recovered") == 1
    assert knobs == before
    assert memory.saved == {} and memory.applied == ()
    kinds = [e.to_state for e in memory.events]
    assert S.HALF_OPEN in kinds and kinds[-1] == S.CLOSED


def test_policy_refuses_degrading_priority_1(tmp_path: Path) -> None:
    data = POLICY.model_dump(mode="json")
    data["degradations"][0]["priority"] = 1
    bad = tmp_path / "policy.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(FinopsInputError, match=r"degradations\.0\.priority"):
        load_policy(bad)


def test_policy_as_shipped_never_touches_priority_1() -> None:
    assert all(d.priority in (2, 3) for d in BreakerPolicy.model_validate(POLICY.model_dump()).degradations)
