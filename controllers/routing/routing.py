"""The router as a controller the runner drives: route the jobs waiting at the edge, then submit them.

Uploads normally get their decision inline from ``route()`` in the upload path; this controller is
for batch intake (a backlog of accepted uploads, e.g. after an outage): it observes the pool states
and the pending jobs, routes them in order with ``route_batch`` (each placed job counts in the next
decision), and submits every record through the ports' ``RouterStore`` (which re-checks residency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from controllers.routing.decide import route_batch
from controllers.routing.models import CONTROLLER, EncodeJob, RouterConfig
from controllers.runtime.base import Decision
from ports.interfaces import PoolActuator, RouterStore
from ports.types import PoolState, RoutingRecord


class RouterPorts(Protocol):
    @property
    def pools(self) -> PoolActuator: ...

    @property
    def router(self) -> RouterStore: ...


class RoutingObservation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    states: tuple[PoolState, ...]
    jobs: tuple[EncodeJob, ...]


class RoutingBatchDecision(Decision):
    """Every pending job's placement (records) and the decisions' JSON (reasons, ETAs)."""

    records: tuple[RoutingRecord, ...] = ()


def no_jobs() -> Sequence[EncodeJob]:
    return ()


class Router:
    """Controller: route pending jobs each tick."""

    name = CONTROLLER

    def __init__(self, config: RouterConfig, pending: Callable[[], Sequence[EncodeJob]] = no_jobs) -> None:
        self.config = config
        self.pending = pending

    def observe(self, ports: RouterPorts, now: float) -> RoutingObservation:
        return RoutingObservation(states=tuple(ports.pools.describe_pools()), jobs=tuple(self.pending()))

    def decide(self, observation: RoutingObservation, now: float) -> RoutingBatchDecision:
        decisions = route_batch(observation.jobs, {s.pool: s for s in observation.states}, self.config)
        reasons = sorted({str(d.reason) for d in decisions})
        return RoutingBatchDecision(
            controller=CONTROLLER,
            action="route" if decisions else "noop",
            reason=",".join(reasons) if decisions else "no_pending_jobs",
            at=now,
            details={"decisions": [d.to_dict() for d in decisions]},
            records=tuple(d.to_record() for d in decisions),
        )

    def apply(self, decision: RoutingBatchDecision, ports: RouterPorts, *, dry_run: bool) -> None:
        for record in decision.records:
            ports.router.submit(record, dry_run=dry_run)
