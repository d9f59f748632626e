"""Judging and reporting a recorded run: phases from the journal's marks, recovery, lost writes, files.

The record is built from evidence shaped like a real regional-failure run (Locust samples, write
fates, sandbox polls, the chaos milestones), so the whole judge -> report path runs without servers.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from stacks.loading import load_platform
from wargames.catalogue import find_wargame
from wargames.judging import judge_run
from wargames.loading import LoadEvidence
from wargames.measuring import Poll
from wargames.models import Phase, Verdict
from wargames.records import RunRecord
from wargames.reporting import write_reports

TRAFFIC = load_platform("prod-global").traffic
WALL0, MODEL0, SPEED = 1_000.0, 480.0, 10.0
INJECT, CLEAR, END = 600.0, 900.0, 1020.0  # model seconds


def model_to_wall(t: float) -> float:
    return WALL0 + (t - MODEL0) / SPEED


def build_record(tmp_path: Path, outage_s: float, cpu_warning: bool = False, missing: int = 0) -> RunRecord:
    """A run where video starts fail from the injection for ``outage_s`` model seconds."""
    rng = random.Random(3)
    samples, writes, polls, sessions = [], [], [], []
    t = MODEL0
    regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
    while t < END:
        down = INJECT <= t < INJECT + outage_s
        samples.append((model_to_wall(t), "video-start", rng.uniform(60, 140), not (down and rng.random() < 0.5)))
        writes.append((model_to_wall(t), f"w{len(writes)}", True, 202))
        if len(samples) % 3 == 0:  # a session per 3 views, regions in turn; the first region's fail while down
            region = regions[len(sessions) % 3]
            ok = not (down and region == "us-east-1")
            sessions.append((model_to_wall(t), region, ok, 3 if ok else 1, 0 if ok else 1))
        t += 0.5
    for i in range(int((END - MODEL0) / 2.5) + 1):
        mt = MODEL0 + 2.5 * i
        polls.append(
            Poll(
                t=mt,
                values={
                    "cache_hit_ratio": 0.95,
                    "write_buffer_depth": 0.0,
                    "table_capacity_wcu": 1500.0,
                    "table_consumed_wcu": 1000.0,
                },
            )
        )
    return RunRecord(
        spec=find_wargame("regional-failure"),
        mitigated=True,
        out_dir=tmp_path,
        started_model_s=MODEL0,
        marks={"method_started": INJECT - 1, "fault_injected": INJECT, "fault_cleared": CLEAR},
        ended_model_s=END,
        journal={"status": "completed", "deviated": False, "run": [], "rollbacks": []},
        recheck={"steady_state_met": True},
        pairs=[(model_to_wall(p.t), p.t) for p in polls],
        polls=polls,
        load=LoadEvidence(
            samples=samples, writes=writes, cpu_warning=cpu_warning, max_cpu_percent=95.0, sessions=sessions
        ),
        reconcile={"stored": len(writes) - missing, "buffered": 0, "missing": [f"w{i}" for i in range(missing)]},
        outcome={
            "user_perceived_failures": 3_712,
            "lost_writes": 0,
            "cross_jurisdiction_routes": 0,
            "failed_starts": 12_375,
            "jurisdiction_guard_trips": 0,
            "upload_to_live_p95_s": 25.7,
            "uploads": 908,
        },
        decisions=[{"at": 620.0, "controller": "predictive", "action": "scale", "reason": "az_headroom"}],
        counterfactual_failures=123_750,
        wall_time_s=60.0,
        controller_facts=dict(CONTROLLER_FACTS),
    )


CONTROLLER_FACTS = {
    "controllers": ["budget-breaker", "cache-warmer", "encode-router", "pool-scaler", "predictive"],
    "applied_decisions": {"cache-warmer": 21, "pool-scaler": 1},
    "router_installed": True,
    "router_decisions": 523,
    "router_actions": {"home": 519, "overflow": 4},
    "router_guard_trips": 0,
    "encodes_completed": 882,
    "warm_requests": 882,
    "warm_reasons": {"new_creator_origin_and_nearest": 882},
    "viral_pushes": 0,
}


def test_a_fast_failover_passes_with_its_recovery_time(tmp_path: Path) -> None:
    result = judge_run(build_record(tmp_path, outage_s=10), TRAFFIC)
    assert result.verdict is Verdict.PASS, result.broken_slos
    assert result.recovery_time_s == 10.0
    assert [p.name for p in result.phases] == [Phase.BASELINE, Phase.INJECTION, Phase.RECOVERY]
    assert result.unmitigated_dollars is not None and result.unmitigated_dollars.total_usd == 189_810.0
    assert result.dollars.total_usd == 1_238 + 38 * 120.0
    assert result.to_json()["lost_writes"] == 0


def test_a_slow_failover_fails_naming_recovery_and_availability(tmp_path: Path) -> None:
    result = judge_run(build_record(tmp_path, outage_s=300), TRAFFIC)
    assert result.verdict is Verdict.FAIL
    assert "recovery_time" in result.broken_slos
    assert "availability (injection)" in result.broken_slos


def test_missing_acknowledged_writes_are_lost_writes(tmp_path: Path) -> None:
    result = judge_run(build_record(tmp_path, outage_s=10, missing=2), TRAFFIC)
    assert (result.lost_writes, result.verdict) == (2, Verdict.FAIL)
    assert "lost_writes" in result.broken_slos


def test_a_run_whose_router_never_decided_is_invalid(tmp_path: Path) -> None:
    record = build_record(tmp_path, outage_s=10)
    record.controller_facts = {**CONTROLLER_FACTS, "router_decisions": 0}
    result = judge_run(record, TRAFFIC)
    assert result.verdict is Verdict.INVALID and "encode router" in (result.invalid_reason or "")
    record.controller_facts = {}
    assert judge_run(record, TRAFFIC).verdict is Verdict.INVALID


def test_a_controller_held_on_every_pass_makes_the_run_invalid(tmp_path: Path) -> None:
    record = build_record(tmp_path, outage_s=10)
    error = "PortError: table user_profiles not found in us-east-1"
    record.controller_facts = {
        **CONTROLLER_FACTS,
        "reconciles": {"predictive": 12, "pool-scaler": 12},
        "held": {"predictive": 12, "pool-scaler": 1},
        "last_errors": {"predictive": error},
    }
    result = judge_run(record, TRAFFIC)
    assert result.verdict is Verdict.INVALID
    assert result.invalid_reason is not None and "predictive (PortError: table user_profiles" in result.invalid_reason
    assert "pool-scaler" not in result.invalid_reason, "held once, acted otherwise: not stuck"


def test_a_cross_jurisdiction_route_fails_the_war_game(tmp_path: Path) -> None:
    record = build_record(tmp_path, outage_s=10)
    record.outcome = {**record.outcome, "cross_jurisdiction_routes": 1}
    result = judge_run(record, TRAFFIC)
    assert result.verdict is Verdict.FAIL
    assert result.broken_slos == ("residency (cross-jurisdiction routes)",)


def test_locust_cpu_saturation_makes_the_run_invalid(tmp_path: Path) -> None:
    result = judge_run(build_record(tmp_path, outage_s=10, cpu_warning=True), TRAFFIC)
    assert result.verdict is Verdict.INVALID
    assert result.invalid_reason is not None and "CPU" in result.invalid_reason


@pytest.mark.parametrize("outage", [10.0, 300.0], ids=["pass", "fail"])
def test_reports_are_written_with_the_chart_and_gates(tmp_path: Path, outage: float) -> None:
    record = build_record(tmp_path, outage_s=outage)
    result = judge_run(record, TRAFFIC)
    html = write_reports(record, result).read_text()
    assert "<svg" in html and result.verdict.value.upper() in html
    assert "video_start_p95" in html and "$189,810" in html
    summary = (tmp_path / "summary.md").read_text()
    assert f"**{result.verdict.value.upper()}**" in summary
    assert "runbooks/wargame-regional-failure.md" in summary
    assert "| cross-jurisdiction routes | 0 " in summary and "| upload-to-live p95 | 25.7 s" in summary
    assert "882 warm requests for 882 encode completions" in summary and "523 routing decisions" in html
