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
    samples, writes, polls = [], [], []
    t = MODEL0
    while t < END:
        down = INJECT <= t < INJECT + outage_s
        samples.append((model_to_wall(t), "video-start", rng.uniform(60, 140), not (down and rng.random() < 0.5)))
        writes.append((model_to_wall(t), f"w{len(writes)}", True, 202))
        t += 0.5
    for i in range(int((END - MODEL0) / 2.5) + 1):
        mt = MODEL0 + 2.5 * i
        polls.append(Poll(t=mt, values={"cache_hit_ratio": 0.95, "write_buffer_depth": 0.0,
                                        "table_capacity_wcu": 1500.0, "table_consumed_wcu": 1000.0}))
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
        load=LoadEvidence(samples=samples, writes=writes, cpu_warning=cpu_warning, max_cpu_percent=95.0),
        reconcile={"stored": len(writes) - missing, "buffered": 0, "missing": [f"w{i}" for i in range(missing)]},
        outcome={"user_perceived_failures": 3_712, "lost_writes": 0},
        decisions=[{"at": 620.0, "controller": "predictive", "action": "scale", "reason": "az_headroom"}],
        counterfactual_failures=123_750,
        wall_time_s=60.0,
    )


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
