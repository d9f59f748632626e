"""The controller runner: acts, honours dry-run, holds on faults, audits, exports metrics, gates on a lease."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from controllers.runtime.auditing import AuditLog, Outcome, read_audit
from controllers.runtime.base import Decision
from controllers.runtime.exporting import DECISIONS, ERRORS, LAST_SUCCESS, ControllerMetrics
from controllers.runtime.running import Runner
from ports.clocks import FakeClock
from ports.interfaces import PortError
from ports.metrics import METRICS_BY_NAME


@dataclass
class Capacity:
    """The 'ports' of these tests: a level the controller reads, a setting it changes, faults to raise."""

    demand: float = 10.0
    setting: int = 0
    observe_fault: Exception | None = None
    apply_fault: Exception | None = None
    applied: list[tuple[int, bool]] = field(default_factory=list)


class FollowDemand:
    """A tiny controller: set capacity to ceil(demand); noop when already there."""

    def __init__(self, name: str = "follow") -> None:
        self.name = name

    def observe(self, ports: Capacity, now: float) -> float:
        if ports.observe_fault is not None:
            raise ports.observe_fault
        return ports.demand

    def decide(self, observation: float, now: float) -> Decision:
        if observation < 0:
            raise ValueError("negative demand")
        target = int(-(-observation // 1))
        return Decision(controller=self.name, action="scale", reason="follow_demand", at=now, details={"to": target})

    def apply(self, decision: Decision, ports: Capacity, *, dry_run: bool) -> None:
        if ports.apply_fault is not None:
            raise ports.apply_fault
        ports.applied.append((decision.details["to"], dry_run))
        if not dry_run:
            ports.setting = decision.details["to"]


class Gate:
    identity = "replica-a"

    def __init__(self, answer: bool | Exception) -> None:
        self.answer = answer
        self.asked: list[float] = []

    def try_acquire(self, now: float) -> bool:
        self.asked.append(now)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def make_runner(ports: Capacity, clock: FakeClock, tmp_path: Path, **kw: object) -> Runner[Capacity]:
    return Runner(
        [FollowDemand()],
        ports,
        clock=clock,
        interval_s=15,
        dry_run=bool(kw.pop("dry_run", False)),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        **kw,  # type: ignore[arg-type]
    )


def test_applies_audits_and_counts(tmp_path: Path, clock: FakeClock) -> None:
    ports = Capacity(demand=12.5)
    runner = make_runner(ports, clock, tmp_path)
    [record] = runner.reconcile_once()
    assert ports.setting == 13 and ports.applied == [(13, False)]
    assert record.outcome is Outcome.APPLIED and record.decision is not None
    [line] = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert json.loads(line)["decision"]["reason"] == "follow_demand"
    assert list(read_audit(tmp_path / "audit.jsonl")) == [record]
    labels = {"controller": "follow", "action": "scale", "reason": "follow_demand"}
    assert runner.metrics.value(DECISIONS, labels) == 1
    assert runner.metrics.value(LAST_SUCCESS, {"controller": "follow"}) == clock.now()


def test_dry_run_decides_but_changes_nothing(tmp_path: Path, clock: FakeClock) -> None:
    ports = Capacity(demand=4)
    [record] = make_runner(ports, clock, tmp_path, dry_run=True).reconcile_once()
    assert record.outcome is Outcome.DRY_RUN
    assert ports.applied == [(4, True)] and ports.setting == 0


@pytest.mark.parametrize(
    "fault",
    [PortError("timeout after 2 s"), PortError("ThrottlingException"), PortError("NaN in table_consumed_wcu")],
    ids=["timeout", "throttled", "nan"],
)
def test_observation_fault_holds_last_good_decision(tmp_path: Path, clock: FakeClock, fault: PortError) -> None:
    ports = Capacity(demand=7)
    runner = make_runner(ports, clock, tmp_path)
    runner.reconcile_once()
    ports.observe_fault, ports.demand = fault, 50
    clock.advance(15)
    [held] = runner.reconcile_once()
    assert held.outcome is Outcome.HELD and held.stage == "observe" and str(fault) in (held.error or "")
    assert held.decision is not None and held.decision["details"] == {"to": 7}
    assert ports.setting == 7 and len(ports.applied) == 1, "capacity unchanged while blind"
    assert runner.metrics.value(ERRORS, {"controller": "follow", "stage": "observe"}) == 1
    ports.observe_fault = None
    clock.advance(15)
    assert runner.reconcile_once()[0].outcome is Outcome.APPLIED and ports.setting == 50


def test_apply_fault_is_reported_and_not_remembered(tmp_path: Path, clock: FakeClock) -> None:
    ports = Capacity(demand=3, apply_fault=PortError("UpdateTable throttled"))
    runner = make_runner(ports, clock, tmp_path)
    [record] = runner.reconcile_once()
    assert record.outcome is Outcome.APPLY_FAILED and record.stage == "apply"
    assert "throttled" in (record.error or "") and ports.setting == 0
    assert "follow" not in runner.last_good
    assert runner.metrics.value(ERRORS, {"controller": "follow", "stage": "apply"}) == 1


def test_a_failing_controller_does_not_stop_the_others(tmp_path: Path, clock: FakeClock) -> None:
    ports = Capacity(demand=-1)
    runner = Runner([FollowDemand("broken"), FollowDemand("other")], ports, clock=clock, interval_s=15, dry_run=False)
    ports.demand = -1
    first, second = runner.reconcile_once()
    assert first.outcome is Outcome.DECIDE_FAILED and "negative demand" in (first.error or "")
    assert second.outcome is Outcome.DECIDE_FAILED  # same ports, same bug; still both ran
    ports.demand = 2
    assert [r.outcome for r in runner.reconcile_once()] == [Outcome.APPLIED, Outcome.APPLIED]


@pytest.mark.parametrize(
    ("answer", "outcome", "lease_errors"),
    [(True, Outcome.APPLIED, None), (False, Outcome.STANDBY, None), (PortError("lease API down"), Outcome.STANDBY, 1)],
    ids=["leader", "follower", "lease-api-down"],
)
def test_only_the_lease_holder_acts(
    tmp_path: Path, clock: FakeClock, answer: bool | Exception, outcome: Outcome, lease_errors: int | None
) -> None:
    ports = Capacity(demand=5)
    gate = Gate(answer)
    runner = make_runner(ports, clock, tmp_path, lease=gate)
    [record] = runner.reconcile_once()
    assert gate.asked == [clock.now()]
    assert record.outcome is outcome
    assert (ports.setting == 5) is (outcome is Outcome.APPLIED)
    assert runner.metrics.value(ERRORS, {"controller": "follow", "stage": "lease"}) == lease_errors


def test_loop_reconciles_every_interval_on_the_clock(tmp_path: Path, clock: FakeClock) -> None:
    ports = Capacity(demand=1)
    runner = make_runner(ports, clock, tmp_path)
    start = clock.now()
    assert runner.run(iterations=4) == 4
    assert [r.at - start for r in runner.audit.records] == [0, 15, 30, 45]
    assert [r.outcome for r in runner.audit.records][1:] == [Outcome.APPLIED] * 3


def test_loop_stops_when_asked(clock: FakeClock) -> None:
    ports = Capacity()
    runner = Runner([FollowDemand()], ports, clock=clock, interval_s=5, dry_run=True)
    assert runner.run(should_stop=lambda: len(runner.audit.records) >= 3) == 3


def test_metrics_follow_the_contract() -> None:
    text = ControllerMetrics().render().decode()
    for name in (DECISIONS, ERRORS, LAST_SUCCESS):
        assert f"# HELP {name} {METRICS_BY_NAME[name].help}" in text


def test_interval_must_be_positive(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="interval_s"):
        Runner([], Capacity(), clock=clock, interval_s=0, dry_run=True)
