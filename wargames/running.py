"""The war game: platform + controllers + Locust load + Chaos Toolkit experiment -> verdict.

Sequence (model time; the sandbox runs in scaled real time):
1. start the sandbox on a free loopback port, with the controllers on (or, ``--unmitigated``, with
   controllers and the scenario's mitigations off), the poller and the Locust child process;
2. baseline: ``baseline_s`` of load with no fault;
3. the experiment (chaostoolkit-lib, rollbacks ``always``): hypothesis, fault injection, hold,
   hypothesis again, rollbacks; the injection phase runs from the method's start to the rollbacks' end;
4. recovery: ``recovery_s`` more, then the steady-state re-check that verifies the rollbacks;
5. stop the load, reconcile the writes, judge the phases, price the damage, write the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaos.client import call
from sandbox.scenarios import load_scenario
from stacks.loading import load_platform
from wargames.catalogue import load_experiment
from wargames.experimenting import Marks, recheck_steady_state, run_with_rollbacks, target_experiment
from wargames.judging import judge_run
from wargames.loading import build_env, read_evidence, start_load
from wargames.measuring import to_model_time
from wargames.models import WarGameResult, WarGameSpec
from wargames.platform import RunningPlatform, estimate_counterfactual, start_platform
from wargames.polling import Poller
from wargames.records import RunRecord

Progress = Callable[[str, float, float], None]  # (phase, model seconds done, model seconds planned)
SETTLE_WALL_S = 3.0  # Locust's first seconds (spawning, connecting) are not measured
HYPOTHESIS_MODEL_S = 20.0  # the steady-state check before the fault takes about this long
MIN_BASELINE_S = 30.0


def wait_model(poller: Poller, seconds: float, phase: str, progress: Progress, timeout_s: float) -> None:
    """Block until the sandbox's model time advanced ``seconds`` (polled, with a wall-clock bound)."""
    start, deadline = poller.model_time(), time.monotonic() + timeout_s
    while (done := poller.model_time() - start) < seconds:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{phase}: model time advanced {done:.0f} of {seconds:.0f} s in {timeout_s:.0f} s")
        progress(phase, done, seconds)
        time.sleep(0.1)
    progress(phase, seconds, seconds)


def wait_first_poll(poller: Poller, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not poller.pairs:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sandbox answered no poll within {timeout_s:.0f} s")
        time.sleep(0.05)


def mark_fault_times(journal: dict[str, Any], pairs: list[tuple[float, float]]) -> dict[str, float]:
    """Model time of the fault's injection and clearing: the end of those activities in the journal."""
    ends = {"inject_fault": "fault_injected", "clear_faults": "fault_cleared"}
    marks: dict[str, float] = {}
    for run in [*journal.get("run", []), *journal.get("rollbacks", [])]:
        func = run.get("activity", {}).get("provider", {}).get("func")
        if func in ends and run.get("status") == "succeeded" and ends[func] not in marks and pairs:
            wall = datetime.fromisoformat(run["end"]).replace(tzinfo=UTC).timestamp()
            marks[ends[func]] = to_model_time([wall], pairs)[0]
    return marks


def run_phases(record: RunRecord, platform: RunningPlatform, progress: Progress) -> None:
    spec = record.spec
    poller = Poller({"sandbox_url": platform.url})
    poller.start()
    wait_first_poll(poller)
    bound = 4 * (spec.baseline_s + spec.recovery_s) / spec.speed + 60
    traffic = load_platform("prod-global").traffic
    env_vars = build_env(
        spec.load,
        spec.speed,
        record.out_dir / "locust",
        platform.peak_at - poller.model_time(),
        views_per_session=traffic.views_per_session,
        client_retry=record.mitigated and "client_retry" in spec.mitigations,
        uploads_per_day=traffic.uploads_per_day_at(load_scenario(spec.sandbox_scenario).dau or traffic.dau),
    )
    load = start_load(platform.url, spec.load, env_vars)
    try:
        progress("starting Locust", 0, 0)
        load.wait_started()
        wait_model(poller, SETTLE_WALL_S * spec.speed, "Locust settling", progress, bound)
        record.started_model_s = poller.model_time()
        baseline = max(platform.trouble_at - HYPOTHESIS_MODEL_S - poller.model_time(), MIN_BASELINE_S)
        wait_model(poller, baseline, "baseline", progress, bound)
        experiment = target_experiment(load_experiment(spec), platform.url)
        marks = Marks(now=poller.model_time)
        progress("injection", 0, 0)
        record.journal = run_with_rollbacks(experiment, marks, always_inject=not record.mitigated)
        record.marks = {**marks.times, **mark_fault_times(record.journal, poller.pairs)}
        wait_model(poller, spec.recovery_s, "recovery", progress, bound)
        record.recheck = recheck_steady_state(experiment)
        record.ended_model_s = poller.model_time()
    finally:
        load.stop()
        poller.stop()
    record.pairs, record.polls, record.poll_errors = poller.pairs, poller.polls, poller.errors
    record.load = read_evidence(load.out_dir)


def collect_platform_facts(record: RunRecord, platform: RunningPlatform) -> None:
    config = {"sandbox_url": platform.url}
    ids = [w[1] for w in (record.load.writes if record.load else []) if w[2]]
    record.reconcile = call("POST", "/admin/writes/reconcile", config, {"ids": ids}) or {}
    record.outcome = call("GET", "/admin/outcome", config) or {}
    record.decisions = platform.decisions()


def run_wargame(
    spec: WarGameSpec, out_dir: Path, *, mitigated: bool = True, seed: int = 7, progress: Progress | None = None
) -> WarGameResult:
    """Run one war game end to end and write its report into ``out_dir``."""
    from wargames.reporting import write_reports

    wall_start = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    record = RunRecord(spec=spec, mitigated=mitigated, out_dir=out_dir)
    lap = Lap(record.timings)
    platform = start_platform(spec, mitigated=mitigated, seed=seed)
    lap("prepare and serve the sandbox")
    try:
        run_phases(record, platform, progress or (lambda *_: None))
        lap("live war game (load, experiment, recovery)")
        collect_platform_facts(record, platform)
    finally:
        platform.stop()
    record.controller_facts = platform.facts()  # read once the sandbox stopped stepping
    record.counterfactual_failures = estimate_counterfactual(spec, seed) if mitigated else None
    lap("unmitigated counterfactual (fast time)")
    (out_dir / "journal.json").write_text(json.dumps(record.journal, indent=2, default=str))
    traffic = load_platform("prod-global").traffic
    record.wall_time_s = time.monotonic() - wall_start
    result = judge_run(record, traffic)
    write_reports(record, result)
    lap("judgement and report")
    return result


class Lap:
    """Records the wall seconds of each step of a run into ``timings``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings, self.last = timings, time.monotonic()

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self.timings[step] = round(now - self.last, 1)
        self.last = now
