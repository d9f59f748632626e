"""War-game arithmetic and judgement, without running anything: dollars, verdicts, recovery, windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.loading import load_platform
from wargames.catalogue import WarGameError, find_wargame, load_catalogue, load_experiment, parse_catalogue
from wargames.dollars import estimate_dollars_at_risk
from wargames.measuring import Poll, Request, WriteFate, measure_window, to_model_time
from wargames.models import Bound, Metric, Phase, Relative, SloGate, Verdict
from wargames.recovery import measure_recovery_time
from wargames.verdicts import check_gate, decide_verdict, judge_bin, judge_phase, list_broken_slos

TRAFFIC = load_platform("prod-global").traffic


def test_scenario_1_dollars_at_risk_match_the_spec() -> None:
    d = estimate_dollars_at_risk(123_750, TRAFFIC, "revenue_per_dau")
    assert (d.affected_users, d.direct_usd) == (41_250, 41_250.0)
    assert (d.churned_users, d.churn_usd) == (1_238, 148_560.0)
    assert d.total_usd == 189_810.0


@pytest.mark.parametrize(
    ("failed", "basis", "users", "total"),
    [
        pytest.param(0, "revenue_per_dau", 0, 0.0, id="nothing-failed"),
        pytest.param(3_712, "revenue_per_dau", 1_238, 1_238 + 38 * 120.0, id="scenario-1-with-standby-and-retry"),
        pytest.param(1, "session_value", 1, 0.03 + 120.0, id="one-failure-is-a-user-and-a-churner"),
        pytest.param(300, "session_value", 100, 3.3 + 3 * 120.0, id="scenario-2-session-value"),
    ],
)
def test_dollars_at_risk_table(failed: int, basis: str, users: int, total: float) -> None:
    d = estimate_dollars_at_risk(failed, TRAFFIC, basis)  # type: ignore[arg-type]
    assert d.affected_users == users
    assert d.total_usd == pytest.approx(total, abs=0.01)


def test_negative_failures_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        estimate_dollars_at_risk(-1, TRAFFIC, "session_value")


P95 = SloGate(name="video_start_p95", metric=Metric.VIDEO_START_P95_MS, limit=300)
AVAIL = SloGate(
    name="availability",
    metric=Metric.VIDEO_START_ERROR_RATIO,
    limit=0.02,
    relative=Relative.BASELINE_PLUS,
    phases=(Phase.INJECTION, Phase.RECOVERY),
)
HIT = SloGate(name="cache_hit_ratio", metric=Metric.CACHE_HIT_RATIO_MIN, bound=Bound.MIN, limit=0.9)


@pytest.mark.parametrize(
    ("gate", "value", "baseline", "ok"),
    [
        pytest.param(P95, 299.0, None, True, id="p95-under"),
        pytest.param(P95, 300.0, None, True, id="p95-at-limit"),
        pytest.param(P95, 301.0, None, False, id="p95-over"),
        pytest.param(P95, None, None, False, id="no-data-fails"),
        pytest.param(AVAIL, 0.025, 0.01, True, id="relative-within-baseline-plus"),
        pytest.param(AVAIL, 0.035, 0.01, False, id="relative-over-baseline-plus"),
        pytest.param(AVAIL, 0.019, None, True, id="relative-without-baseline-uses-offset"),
        pytest.param(HIT, 0.95, None, True, id="min-bound-above"),
        pytest.param(HIT, 0.80, None, False, id="min-bound-below"),
    ],
)
def test_gates(gate: SloGate, value: float | None, baseline: float | None, ok: bool) -> None:
    base = {gate.metric: baseline} if baseline is not None else None
    assert check_gate(gate, {gate.metric: value}, base).ok is ok


def test_a_phase_fails_when_one_gate_breaks_and_only_its_gates_apply() -> None:
    measures = {Metric.VIDEO_START_P95_MS: 250.0, Metric.VIDEO_START_ERROR_RATIO: 0.5}
    baseline = judge_phase(Phase.BASELINE, (0, 60), [P95, AVAIL], measures, None)
    assert baseline.verdict is Verdict.PASS and [s.name for s in baseline.slos] == ["video_start_p95"]
    injection = judge_phase(Phase.INJECTION, (60, 120), [P95, AVAIL], measures, {Metric.VIDEO_START_ERROR_RATIO: 0.0})
    assert injection.verdict is Verdict.FAIL
    assert list_broken_slos([baseline, injection], 0, 10.0, 30.0) == ("availability (injection)",)


def test_broken_slos_name_lost_writes_and_slow_or_missing_recovery() -> None:
    assert list_broken_slos([], 3, 45.0, 30.0) == ("lost_writes", "recovery_time")
    assert list_broken_slos([], 0, None, 30.0) == ("recovery_time",)
    assert list_broken_slos([], 0, 30.0, 30.0) == ()


def test_verdict_precedence_invalid_then_fail_then_pass() -> None:
    assert decide_verdict(["lost_writes"], "Locust's CPU saturated") is Verdict.INVALID
    assert decide_verdict(["lost_writes"], None) is Verdict.FAIL
    assert decide_verdict([], None) is Verdict.PASS


def test_bins_skip_metrics_without_data_but_judge_the_rest() -> None:
    assert judge_bin([P95, HIT], {Metric.VIDEO_START_P95_MS: 100.0}, None) is True
    assert judge_bin([P95, HIT], {Metric.VIDEO_START_P95_MS: 500.0}, None) is False


@pytest.mark.parametrize(
    ("healthy", "expected"),
    [
        pytest.param([True] * 12, 0.0, id="absorbed-without-a-blip"),
        pytest.param([False, False, True, True, True, True, True, True, True, True], 20.0, id="failover-after-20s"),
        pytest.param([False, True, False, True, True, True, True, True, True, True], 30.0, id="flap-restarts-streak"),
        pytest.param([False] * 10, None, id="never-recovers"),
        pytest.param([False] * 8 + [True, True], 80.0, id="healthy-to-the-end"),
    ],
)
def test_recovery_time(healthy: list[bool], expected: float | None) -> None:
    bins = [(1000.0 + 10 * i, ok) for i, ok in enumerate(healthy)]
    assert measure_recovery_time(bins, injected_at=1000.0, bin_s=10, sustain_s=60) == expected


def test_recovery_ignores_bins_before_the_injection() -> None:
    bins = [(900.0, False), (950.0, False), (1000.0, True), (1010.0, True)]
    assert measure_recovery_time(bins, 1000.0, 10, 20) == 0.0


def test_windows_measure_locust_and_sandbox_evidence() -> None:
    requests = [Request(t=float(i), name="video-start", ms=float(i), ok=i % 10 != 0) for i in range(100)]
    writes = [
        WriteFate(t=5.0, id="a", acknowledged=True, status=202),
        WriteFate(t=6.0, id="b", acknowledged=False, status=429),
    ]
    polls = [
        Poll(t=1.0, values={"cache_hit_ratio": 0.95, "write_buffer_depth": 10}),
        Poll(t=2.0, values={"cache_hit_ratio": 0.85, "write_buffer_depth": 400}),
    ]
    m = measure_window(requests, writes, polls, 0, 100)
    assert m[Metric.VIDEO_START_P95_MS] == pytest.approx(94.05)
    assert m[Metric.VIDEO_START_ERROR_RATIO] == pytest.approx(0.1)
    assert m[Metric.WRITE_REJECTION_RATIO] == pytest.approx(0.5)
    assert (m[Metric.CACHE_HIT_RATIO_MIN], m[Metric.WRITE_BUFFER_DEPTH_MAX]) == (0.85, 400)
    empty = measure_window(requests, writes, polls, 500, 600)
    assert all(v is None for v in empty.values())


def test_wall_time_maps_onto_model_time() -> None:
    pairs = [(100.0, 5000.0), (101.0, 5010.0), (102.0, 5020.0)]
    assert to_model_time([100.5, 101.25, 99.0, 200.0], pairs) == [5005.0, 5012.5, 5000.0, 5020.0]


def test_catalogue_has_the_four_war_games_with_valid_experiments() -> None:
    games = load_catalogue()
    assert set(games) == {"regional-failure", "origin-failure", "viral-surge", "az-failure-during-surge"}
    for spec in games.values():
        experiment = load_experiment(spec)
        assert experiment["runtime"]["rollbacks"]["strategy"] == "always"
        assert spec.runbook == f"runbooks/wargame-{spec.name}.md"


def test_catalogue_errors_name_the_file_and_key(tmp_path: Path) -> None:
    good = load_catalogue()["viral-surge"].model_dump(mode="json", exclude={"name"})
    with pytest.raises(WarGameError, match=r"cat.yaml: viral-surge.speed: .*greater than 0"):
        parse_catalogue({"viral-surge": {**good, "speed": 0}}, "cat.yaml")
    with pytest.raises(WarGameError, match=r"viral-surge.slos.0.metric"):
        parse_catalogue({"viral-surge": {**good, "slos": [{"name": "x", "metric": "nope", "limit": 1}]}}, "cat.yaml")
    with pytest.raises(WarGameError, match="unknown war game 'nope'"):
        find_wargame("nope")


def test_war_games_run_the_full_controller_set_on_the_sandbox() -> None:
    """The war game's sandbox strategy: router in the routing hook, warmer, breaker, scalers (fast time)."""
    from sandbox.running import drive
    from wargames.controlling import ControllersStrategy
    from wargames.platform import prepare_sandbox

    sandbox, strategy, _, _ = prepare_sandbox(find_wargame("regional-failure"), True, 7)
    assert isinstance(strategy, ControllersStrategy)
    before = strategy.router.decisions
    drive(sandbox, strategy, until_tick=sandbox.tick + 120)  # 10 model minutes of uploads
    facts = strategy.facts()
    assert facts["controllers"] == ["budget-breaker", "cache-warmer", "encode-router", "pool-scaler", "predictive"]
    assert facts["router_installed"] and facts["router_decisions"] > before > 0, "the router decides every upload"
    assert set(facts["router_actions"]) <= {"home", "overflow", "cpu_fallback", "rate_limit"}
    assert facts["warm_requests"] == facts["encodes_completed"] > 0
    assert facts["held"] == {}, f"a controller was held on a port error: {facts['last_errors']}"
    assert set(facts["reconciles"]) == {"budget-breaker", "cache-warmer", "pool-scaler", "predictive"}
    outcome = sandbox.outcome().as_dict()
    assert outcome["cross_jurisdiction_routes"] == 0 and outcome["jurisdiction_guard_trips"] == 0
    unmitigated, none, _, _ = prepare_sandbox(find_wargame("regional-failure"), False, 7)
    assert unmitigated.pools.router is None and not isinstance(none, ControllersStrategy)


def test_sessions_count_once_where_they_started_whatever_their_requests() -> None:
    from wargames.measuring import Session

    # one failing client hammering retries sends many requests, but it is one session among four
    requests = [Request(float(t), "video-start", 100.0, t >= 8) for t in range(12)]
    sessions = [Session(0.0, "us-east-1", False, 1, 1)]
    sessions += [Session(float(t), "eu-west-1", True, 3, 0) for t in (1, 2, 3)]
    m = measure_window(requests, [], [], 0, 100, sessions)
    assert m[Metric.SESSION_FAILURE_RATIO] == 0.25 and m[Metric.VIDEO_START_ERROR_RATIO] == 8 / 12
    assert measure_window(requests, [], [], 50, 60, sessions)[Metric.SESSION_FAILURE_RATIO] is None


@pytest.mark.parametrize(
    ("mitigated", "outcome", "counterfactual", "ok", "design"),
    [
        (True, {"user_perceived_failures": 3_713}, 123_749, True, 0.0297),
        (True, {"user_perceived_failures": 5_000}, 123_749, False, 0.0297),
        (True, {"user_perceived_failures": 3_712}, 100_000, False, 0.0297),
        (False, {"failed_starts": 124_500}, None, True, 0.33),
        (False, {"failed_starts": 60_000}, None, False, 0.33),
    ],
)
def test_calibration_against_spec_8_scenario_1(
    mitigated: bool, outcome: dict[str, int], counterfactual: int | None, ok: bool, design: float
) -> None:
    from wargames.calibrating import compare_to_calibration

    spec = find_wargame("regional-failure")
    assert spec.calibration is not None and spec.calibration.failed_starts == 123_750
    injection = {Metric.SESSION_FAILURE_RATIO: 0.031, Metric.VIDEO_START_ERROR_RATIO: 0.043}
    report = compare_to_calibration(
        spec.calibration,
        mitigated=mitigated,
        outcome=outcome,
        counterfactual_failures=counterfactual,
        views_per_session=3,
        injection=injection,
    )
    assert report.within_tolerance is ok
    assert report.design_session_failure_ratio == design
    assert report.measured_session_failure_ratio == 0.031


def test_the_router_sends_no_upload_to_a_pool_in_a_region_that_is_down() -> None:
    from controllers.routing.sandboxing import install_router
    from sandbox.running import NoControl, build_sandbox, drive

    sandbox = build_sandbox("regional-failure")  # us-east-1 down from 600 s for 300 s
    routing = install_router(sandbox)
    drive(sandbox, NoControl(), until_tick=int(600 / sandbox.dt))
    before = dict(routing.tally)
    drive(sandbox, NoControl(), until_tick=int(900 / sandbox.dt))
    during = {k: n - before.get(k, 0) for k, n in routing.tally.items() if n > before.get(k, 0)}
    us = {(action, reason) for (j, action, reason) in during if j == "US"}
    assert us == {("overflow", "home_unobserved_overflow_below_depth_limit")}, us
    assert sandbox.outcome().cross_jurisdiction_routes == 0


def test_every_upload_to_the_edge_api_is_decided_by_the_router() -> None:
    from sandbox.live import LiveSandbox
    from wargames.controlling import ControllersStrategy
    from wargames.platform import prepare_sandbox

    sandbox, strategy, _, _ = prepare_sandbox(find_wargame("origin-failure"), True, 7)
    assert isinstance(strategy, ControllersStrategy)
    live = LiveSandbox(sandbox, strategy, speed=10.0, wall=lambda: 0.0)
    before = strategy.router.decisions
    answers = [live.upload({"jurisdiction": j, "size_mb": 50}) for j in ("EU", "US", "APAC", "EU")]
    assert [a[0] for a in answers] == [202, 202, 202, 202]
    assert strategy.router.decisions == before + 4, "one routing decision per upload"
    regions = [body["region"] for _, body, _ in answers if isinstance(body, dict)]
    assert regions == ["eu-west-1", "us-east-1", "ap-southeast-1", "eu-west-1"], "each in its own jurisdiction"
