"""The runner: reconciles every controller every interval, and is the only place that waits.

Per controller and tick: observe -> decide (pure) -> apply (honouring dry-run), then one audit
record and the ``reelops_controller_*`` metrics. When an observation cannot be made (a
:class:`ports.interfaces.PortError`: timeout, throttling, NaN or malformed data) nothing is applied,
the last good decision stands and the audit record says so (``held``). A fault in one controller
never stops the loop or the other controllers. In Kubernetes a Lease gate lets one replica act.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from controllers.runtime.auditing import AuditLog, AuditRecord, Outcome, dump_decision
from controllers.runtime.base import Controller, Decision
from controllers.runtime.exporting import ControllerMetrics
from controllers.runtime.leasing import LeaseGate, SoleReplica
from ports.interfaces import PortError

PortsT = TypeVar("PortsT")


class LoopClock(Protocol):
    """A clock the loop can wait on: ``ports.clocks.WallClock`` or ``FakeClock``."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


def describe_observation(observation: object) -> dict[str, Any] | None:
    """The observation as JSON-able data for the audit record, when it is a pydantic model."""
    if isinstance(observation, BaseModel):
        return observation.model_dump(mode="json")
    return None


class Runner(Generic[PortsT]):
    """Drives controllers against one set of ports (sandbox, AWS, Kubernetes + Prometheus)."""

    def __init__(
        self,
        controllers: Sequence[Controller[Any, Any, PortsT]],
        ports: PortsT,
        *,
        clock: LoopClock,
        interval_s: float,
        dry_run: bool,
        audit: AuditLog | None = None,
        metrics: ControllerMetrics | None = None,
        lease: LeaseGate | None = None,
        audit_observations: bool = False,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self.controllers = list(controllers)
        self.ports = ports
        self.clock = clock
        self.interval_s = interval_s
        self.dry_run = dry_run
        self.audit = audit or AuditLog()
        self.metrics = metrics or ControllerMetrics()
        self.lease = lease or SoleReplica()
        self.audit_observations = audit_observations
        self.last_good: dict[str, Decision] = {}

    # --- one tick ----------------------------------------------------------------------------------
    def reconcile_once(self) -> list[AuditRecord]:
        """One pass over every controller at the clock's current time."""
        now = self.clock.now()
        leader = self._check_lease(now)
        records = [self._reconcile(c, now, leader) for c in self.controllers]
        for record in records:
            self.audit.write(record)
        return records

    def _check_lease(self, now: float) -> bool:
        try:
            return self.lease.try_acquire(now)
        except PortError:
            for c in self.controllers:
                self.metrics.count_error(c.name, "lease")
            return False

    def _reconcile(self, controller: Controller[Any, Any, PortsT], now: float, leader: bool) -> AuditRecord:
        name = controller.name
        try:
            observation = controller.observe(self.ports, now)
        except PortError as exc:
            return self._fail(name, now, "observe", exc, Outcome.HELD)
        try:
            decision: Decision = controller.decide(observation, now)
        except Exception as exc:  # a bug in decide must not stop the other controllers
            return self._fail(name, now, "decide", exc, Outcome.DECIDE_FAILED)
        seen = describe_observation(observation) if self.audit_observations else None
        outcome, error = self._act(controller, decision, leader)
        if error is not None:
            return self._record(name, now, outcome, decision, "apply", error, seen)
        self.last_good[name] = decision
        self.metrics.count_decision(name, decision.action, decision.reason)
        self.metrics.mark_success(name, now)
        return self._record(name, now, outcome, decision, None, None, seen)

    def _act(
        self, controller: Controller[Any, Any, PortsT], decision: Decision, leader: bool
    ) -> tuple[Outcome, str | None]:
        """Apply unless a no-op or not the leader; an actuator's PortError leaves capacity as it was."""
        if decision.is_noop:
            return Outcome.NOOP, None
        if not leader:
            return Outcome.STANDBY, None
        try:
            controller.apply(decision, self.ports, dry_run=self.dry_run)
        except PortError as exc:
            self.metrics.count_error(controller.name, "apply")
            return Outcome.APPLY_FAILED, f"{type(exc).__name__}: {exc}"
        return (Outcome.DRY_RUN if self.dry_run else Outcome.APPLIED), None

    def _fail(self, name: str, now: float, stage: str, exc: Exception, outcome: Outcome) -> AuditRecord:
        self.metrics.count_error(name, stage)
        held = self.last_good.get(name)
        return self._record(name, now, outcome, held, stage, f"{type(exc).__name__}: {exc}", None)

    @staticmethod
    def _record(
        name: str,
        now: float,
        outcome: Outcome,
        decision: Decision | None,
        stage: str | None,
        error: str | None,
        observation: dict[str, Any] | None,
    ) -> AuditRecord:
        return AuditRecord(
            at=now,
            controller=name,
            outcome=outcome,
            decision=dump_decision(decision),
            stage=stage,
            error=error,
            observation=observation,
        )

    # --- the loop ----------------------------------------------------------------------------------
    def run(self, *, iterations: int | None = None, should_stop: Callable[[], bool] | None = None) -> int:
        """Reconcile every ``interval_s`` until ``iterations`` ticks ran or ``should_stop()``; returns ticks."""
        ticks = 0
        while iterations is None or ticks < iterations:
            if should_stop is not None and should_stop():
                break
            started = self.clock.now()
            self.reconcile_once()
            ticks += 1
            if iterations is not None and ticks >= iterations:
                break
            self.clock.sleep(self.interval_s - (self.clock.now() - started))
        return ticks


def run_together(
    runners: Sequence[Runner[Any]],
    clock: LoopClock,
    interval_s: float,
    *,
    iterations: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """One loop for runners over different ports bundles: reconcile each, then wait; returns ticks."""
    ticks = 0
    while iterations is None or ticks < iterations:
        if should_stop is not None and should_stop():
            break
        started = clock.now()
        for runner in runners:
            runner.reconcile_once()
        ticks += 1
        if iterations is not None and ticks >= iterations:
            break
        clock.sleep(interval_s - (clock.now() - started))
    return ticks
