"""Run a scenario in fast time under a strategy: ``none`` (the platform alone) or ``reactive``.

A strategy is any object with ``name`` and ``control(sandbox, now)``, called every
``control_interval_s`` of model time before the tick; the predictive and oracle strategies live in
``controllers/``. ``none`` leaves only what the cloud does by itself (table auto scaling and on-demand
adaptation, groups replacing interrupted instances). ``reactive`` is the baseline reelops must beat:
target tracking on observed load through the ports, with the lag of a real control loop (it sees
one-minute rates, acts every interval, and capacity still takes its time to arrive).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Protocol

from ports.interfaces import PortError
from ports.metrics import SignalName
from ports.types import BillingMode
from sandbox.engine import Sandbox
from sandbox.outcomes import Outcome
from sandbox.scenarios import Scenario, load_scenario
from stacks.loading import load_prod_platforms
from stacks.model import PlatformModel

TABLE_TARGET_UTILISATION = 0.7
BUFFER_DRAIN_S = 300.0
REPLICA_SCALE_DOWN_WINDOW = 5


class Strategy(Protocol):
    name: str

    def control(self, sandbox: Sandbox, now: float) -> None: ...


class NoControl:
    """Nobody at the wheel: only the cloud's own behaviour acts."""

    name = "none"

    def control(self, sandbox: Sandbox, now: float) -> None:
        return None


class Reactive:
    """Target tracking on what the metrics show now: tables, GPU pools (SPEC 3 steps), playback fleet."""

    name = "reactive"

    def __init__(self) -> None:
        self.replica_history: dict[str, list[int]] = {}

    def control(self, sandbox: Sandbox, now: float) -> None:
        for act in (self.scale_tables, self.scale_pools, self.scale_fleet):
            try:
                act(sandbox)
            except PortError:
                continue  # hold: the next interval tries again

    def scale_tables(self, sb: Sandbox) -> None:
        ports = sb.ports
        throttled = {(s.labels["table"], s.labels["region"]): s.value
                     for s in ports.metrics.read(SignalName.TABLE_THROTTLED_PER_MIN)}  # fmt: skip
        depth = {s.labels["region"]: s.value for s in ports.metrics.read(SignalName.WRITE_BUFFER_DEPTH)}
        for state in ports.tables.describe_tables():
            backlog = depth.get(state.region, 0.0) / max(len(sb.table_names), 1) / BUFFER_DRAIN_S
            demand = state.consumed_write_units + throttled.get((state.table, state.region), 0.0) / 60.0 + backlog
            want = math.ceil(demand / TABLE_TARGET_UTILISATION)
            if demand <= state.write_capacity_units * TABLE_TARGET_UTILISATION:
                continue
            try:
                if state.mode == BillingMode.PROVISIONED:
                    ports.tables.set_provisioned_capacity(state.table, state.region, want, 0, dry_run=False)
                elif want > state.warm_write_units:
                    ports.tables.set_warm_throughput(state.table, state.region, want, 0, dry_run=False)
            except PortError:
                continue

    def scale_pools(self, sb: Sandbox) -> None:
        for p in sb.ports.pools.describe_pools():
            th = sb.pools.by_name[p.pool].spec.thresholds
            desired = p.desired
            if p.queue_depth > th.add_20_above:
                desired += th.add_large
            elif p.queue_depth > th.add_10_above:
                desired += th.add_small
            elif p.idle_seconds >= th.idle_terminate_minutes * 60:
                desired = p.min_size
            elif p.queue_depth < th.scale_in_below and p.running > th.scale_in_min_tasks:
                desired -= 1
            desired = max(p.min_size, min(p.max_size, desired))
            if desired != p.desired:
                sb.ports.pools.set_desired_capacity(p.pool, desired, dry_run=False)

    def scale_fleet(self, sb: Sandbox) -> None:
        spec = sb.services.get("playback-api")
        if spec is None:
            return
        traffic = sb.spec.traffic
        per_replica = traffic.rps_per_instance / traffic.api_calls_per_view * 60.0 * spec.target_cpu_percent / 100
        for s in sb.ports.metrics.read(SignalName.VIDEO_STARTS_PER_MIN):
            region = s.labels["region"]
            need = max(spec.min_replicas, min(spec.max_replicas, math.ceil(s.value / per_replica)))
            recent = self.replica_history.setdefault(region, [])
            recent.append(need)
            del recent[:-REPLICA_SCALE_DOWN_WINDOW]
            want = max(recent)
            if want != sb.ports.deployments.get_replicas("playback-api", region):
                sb.ports.deployments.set_replicas("playback-api", region, want, dry_run=False)


STRATEGIES: dict[str, Callable[[], Strategy]] = {"none": NoControl, "reactive": Reactive}


def resolve_strategy(strategy: Strategy | str) -> Strategy:
    if not isinstance(strategy, str):
        return strategy
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {sorted(STRATEGIES)}")
    return STRATEGIES[strategy]()


def run_scenario(
    scenario: Scenario | str,
    strategy: Strategy | str = "none",
    seed: int = 0,
    platforms: Mapping[str, PlatformModel] | None = None,
) -> Outcome:
    """Run ``scenario`` to its end in fast time and return its outcome counters."""
    sandbox = build_sandbox(scenario, seed, platforms)
    drive(sandbox, resolve_strategy(strategy))
    return sandbox.outcome()


def build_sandbox(
    scenario: Scenario | str, seed: int = 0, platforms: Mapping[str, PlatformModel] | None = None
) -> Sandbox:
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return Sandbox(platforms if platforms is not None else prod_platforms(), sc, seed)


@cache
def prod_platforms() -> dict[str, PlatformModel]:
    """The prod stacks, loaded once per process (the models are frozen)."""
    return load_prod_platforms()


def drive(sandbox: Sandbox, strategy: Strategy, until_tick: int | None = None) -> None:
    """Step ``sandbox`` (to ``until_tick`` or the end), calling the strategy every control interval."""
    sandbox.strategy_name = strategy.name
    every = max(1, round(sandbox.scenario.control_interval_s / sandbox.dt))
    end = sandbox.ticks if until_tick is None else min(until_tick, sandbox.ticks)
    while sandbox.tick < end:
        if sandbox.tick % every == 0:
            strategy.control(sandbox, sandbox.clock.now())
        sandbox.step()
