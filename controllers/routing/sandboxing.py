"""Encode routing inside the sandbox: ``route()`` decides where each tick's uploads go.

The sandbox accepts each tick's uploads per jurisdiction and asks its fleet's ``route(jurisdiction)``
for ``(action, pool)``. :func:`install_router` puts :func:`controllers.routing.decide.route` there,
reading pool states through the sandbox's pools port (holding the last good states when the port
fails) and passing every decision through the actuator guard, so that scoreboard runs follow exactly
the decisions ``ops route explain`` shows. It plugs in through the fleet's ``set_router`` hook, and the
fleet re-checks residency on every answer (a refused route is counted, never followed).
"""

from __future__ import annotations

import itertools
from typing import Any

from controllers.routing.decide import route
from controllers.routing.guarding import check_record
from controllers.routing.models import EncodeJob, RouterConfig
from ports.interfaces import CrossJurisdictionError, PoolActuator, PortError
from ports.types import PoolState, RouteAction
from sandbox.engine import Sandbox


class SandboxRouting:
    """The fleet's routing function, backed by ``route()`` and the jurisdiction guard."""

    def __init__(self, sandbox: Sandbox, config: RouterConfig) -> None:
        self.sandbox = sandbox
        self.config = config
        self.pools: PoolActuator = sandbox.ports.pools
        self.pool_regions = {p.spec.name: p.spec.region for p in sandbox.pools.pools}
        self.last_states: dict[str, PoolState] = {}
        self.ids = itertools.count()
        self.port_errors = 0
        self.guard_trips = 0

    def observe(self) -> dict[str, PoolState]:
        try:
            self.last_states = {s.pool: s for s in self.pools.describe_pools()}
        except PortError:
            self.port_errors += 1  # hold the last good states
        return self.last_states

    def __call__(self, jurisdiction: str) -> tuple[str, Any]:
        job = EncodeJob(job_id=f"sandbox-{next(self.ids)}", jurisdiction=jurisdiction)
        decision = route(job, self.observe(), self.config)
        try:
            check_record(decision.to_record(), self.config.residency, self.pool_regions)
        except CrossJurisdictionError:
            self.guard_trips += 1
            return RouteAction.CPU_FALLBACK.value, None
        fleet = self.sandbox.pools
        if decision.pool is not None:
            return decision.action.value, fleet.by_name[decision.pool]
        if decision.action is RouteAction.RATE_LIMIT and decision.reason.startswith("both_saturated"):
            home, _ = fleet.pools_of(jurisdiction)
            return decision.action.value, home  # held at the edge: it waits its honest ETA in the queue
        return decision.action.value, None


def install_router(sandbox: Sandbox, config: RouterConfig | None = None) -> SandboxRouting:
    """Route the sandbox's uploads with ``route()`` from now on; returns the installed router."""
    if config is None:
        config = RouterConfig.from_platforms(sandbox.stacks)
    routing = SandboxRouting(sandbox, config)
    sandbox.pools.set_router(routing)
    return routing
