"""Scoreboard strategies on the sandbox: ``history-predictive``, ``social-predictive`` and ``oracle``.

A strategy is an object with ``name`` and ``control(sandbox, now)`` (docs/contracts.md section 3);
``none`` and ``reactive`` live in the sandbox. Ours run the real controllers on the sandbox's
in-process ports through the runner (audit, metrics, PortError handling), exactly as they run on
AWS: ``social-predictive`` is the predictive scaler on top of the reactive safety net (as AWS
predictive scaling is used together with dynamic scaling). ``history-predictive`` is AWS-predictive-
like: an hourly forecast of the platform's recurring daily/weekly pattern (what 14 days of history
show: the sandbox's normal traffic curves, without one-off surges or social cascades), refreshed
every 6 h, raising capacity ahead of each hour and never scaling in on a forecast. ``oracle`` reads
the future (``Sandbox.future_load``) and holds exactly what the next interval needs: the lower bound
on cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from controllers.pool_scaling.scaling import PoolScaler
from controllers.predictive.configuring import build_config
from controllers.predictive.scaling import PredictiveScaler, ScalerPorts
from controllers.routing.sandboxing import install_router
from controllers.runtime.auditing import AuditLog
from controllers.runtime.running import Runner
from ports.interfaces import PortError
from ports.types import BillingMode
from sandbox.engine import Sandbox
from sandbox.running import TABLE_TARGET_UTILISATION, NoControl, Reactive, Strategy

HOUR_S = 3600.0
HISTORY_REFRESH_S = 6 * HOUR_S  # AWS predictive scaling refreshes its forecast every 6 h
HISTORY_BUFFER_S = 600.0  # and launches capacity ahead of each forecast hour (scheduling buffer)


def sandbox_scaler_ports(sb: Sandbox) -> ScalerPorts:
    azs = {az: name for name, region in sb.spec.regions.items() for az in region.azs}
    p = sb.ports
    return ScalerPorts(metrics=p.metrics, tables=p.tables, deployments=p.deployments, faults=p.faults, az_regions=azs)


def per_replica_starts_per_min(sb: Sandbox) -> float:
    """Video starts/min one playback replica serves at the fleet's target utilisation."""
    t = sb.spec.traffic
    return t.rps_per_instance / t.api_calls_per_view * 60.0 * sb.phys.serving_target_utilisation


class SocialPredictive:
    """Our controllers: the predictive scaler (social signals) for tables and the playback fleet, the
    pool scaler (controllers/pool_scaling) for GPU pools, the routing controller's ``route()`` for
    every upload (installed through the sandbox's routing hook), and reactive target tracking of
    tables and fleet as the safety net."""

    name = "social-predictive"

    def __init__(self, audit: AuditLog | None = None) -> None:
        self.safety_net = Reactive()
        self.audit = audit
        self.runners: list[Runner[Any]] = []

    def build_runners(self, sb: Sandbox) -> list[Runner[Any]]:
        install_router(sb)
        config = build_config(sb.stacks, tables=sb.table_names)
        every = sb.scenario.control_interval_s
        scaler = Runner(
            [PredictiveScaler(config)],
            sandbox_scaler_ports(sb),
            clock=sb.clock,
            interval_s=every,
            dry_run=False,
            audit=self.audit,
        )
        pools = Runner(
            [PoolScaler.from_platforms(sb.stacks)],
            sb.ports,
            clock=sb.clock,
            interval_s=every,
            dry_run=False,
            audit=self.audit,
        )
        return [scaler, pools]

    def control(self, sandbox: Sandbox, now: float) -> None:
        if not self.runners:
            self.runners = self.build_runners(sandbox)
        for act in (self.safety_net.scale_tables, self.safety_net.scale_fleet):
            try:
                act(sandbox)
            except PortError:
                continue  # hold: the next interval tries again
        for runner in self.runners:
            runner.reconcile_once()


def raise_tables(sb: Sandbox, want: Callable[[str, str], float]) -> None:
    """Raise provisioned capacity (or warm throughput of on-demand tables) to ``want(table, region)``."""
    tables = sb.ports.tables
    for state in tables.describe_tables():
        units = math.ceil(want(state.table, state.region))
        try:
            if state.mode == BillingMode.PROVISIONED and units > state.write_capacity_units:
                tables.set_provisioned_capacity(state.table, state.region, units, 0, dry_run=False)
            elif state.mode == BillingMode.ON_DEMAND and units > max(
                state.warm_write_units, state.write_capacity_units
            ):
                tables.set_warm_throughput(state.table, state.region, units, 0, dry_run=False)
        except PortError:
            continue  # an update in progress or a throttled API: the next interval tries again


class HistoryPredictive:
    """An hourly forecast from the recurring pattern only (AWS predictive scaling), plus reactive."""

    name = "history-predictive"

    def __init__(self) -> None:
        self.safety_net = Reactive()
        self.forecast_at: float | None = None
        self.hourly: dict[int, dict[tuple[str, str], float]] = {}

    def refresh(self, sb: Sandbox) -> None:
        """48 hourly peaks of normal writes per (table, region), from the recurring daily curve."""
        tr = sb.traffic
        normal = tr.normal_writes()
        self.hourly = {}
        for hour in range(48):
            start = sb.now + hour * HOUR_S
            factor = max(tr.writes_factor(start + m * 60.0) for m in range(60))
            self.hourly[hour] = {
                (table, region): float(normal[i, k]) * factor
                for i, region in enumerate(sb.region_names)
                for k, table in enumerate(sb.table_names)
            }
        self.forecast_at = sb.now

    def control(self, sandbox: Sandbox, now: float) -> None:
        sb = sandbox
        if self.forecast_at is None or sb.now - self.forecast_at >= HISTORY_REFRESH_S:
            self.refresh(sb)
        assert self.forecast_at is not None
        ahead = sb.now - self.forecast_at + HISTORY_BUFFER_S
        slots = {int((sb.now - self.forecast_at) // HOUR_S), int(ahead // HOUR_S)}
        peaks = [self.hourly[s] for s in slots if s in self.hourly]
        if peaks:
            raise_tables(sb, lambda t, r: max(p[(t, r)] for p in peaks) / TABLE_TARGET_UTILISATION)
        self.safety_net.control(sb, now)


class Oracle:
    """Knows the future: holds exactly what the next interval (plus each resource's lag) needs."""

    name = "oracle"

    def control(self, sandbox: Sandbox, now: float) -> None:
        sb = sandbox
        interval = sb.scenario.control_interval_s
        warm = sb.future_load(sb.phys.warm_apply_s + 2 * interval)  # warm first: later raises apply at once
        for state in sb.ports.tables.describe_tables():
            peak = warm.write_units[state.table][state.region]
            if peak > state.warm_write_units:
                try:
                    sb.ports.tables.set_warm_throughput(state.table, state.region, math.ceil(peak), 0, dry_run=False)
                except PortError:
                    continue
        soon = sb.future_load(interval)
        self.hold_tables(sb, soon.write_units)
        self.hold_fleet(sb, sb.future_load(sb.phys.replica_start_s + interval).video_starts_per_min)
        self.hold_pools(sb)

    @staticmethod
    def hold_pools(sb: Sandbox) -> None:
        """Per jurisdiction: instances for the uploads of the next start-up window plus the backlog,
        home pool first (routing sends work home while its queue is short), the rest to overflow."""
        states = {p.pool: p for p in sb.ports.pools.describe_pools()}
        for jurisdiction in sb.jurisdiction_names:
            pools = [p for p in sb.pools.pools if p.jurisdiction == jurisdiction]
            spec = pools[0].spec
            horizon = spec.startup_seconds + sb.scenario.control_interval_s
            arriving = sb.future_load(horizon).uploads[jurisdiction]
            backlog = sum(states[p.spec.name].queue_depth + states[p.spec.name].in_flight for p in pools)
            per_instance = spec.videos_per_hour_per_instance * horizon / HOUR_S
            need = math.ceil((arriving + backlog) / per_instance)
            for pool in pools:
                state = states[pool.spec.name]
                cap = min(state.max_size, state.quota_instances)
                want = max(state.min_size, min(cap, need))
                need -= want
                if want != state.desired:
                    sb.ports.pools.set_desired_capacity(pool.spec.name, want, dry_run=False)

    @staticmethod
    def hold_tables(sb: Sandbox, peaks: dict[str, dict[str, float]]) -> None:
        tables = sb.ports.tables
        for state in tables.describe_tables():
            units = max(math.ceil(peaks[state.table][state.region]), 1)
            if state.mode != BillingMode.PROVISIONED or units == state.write_capacity_units:
                continue
            try:
                tables.set_provisioned_capacity(state.table, state.region, units, 0, dry_run=False)
            except PortError:
                continue

    @staticmethod
    def hold_fleet(sb: Sandbox, starts: dict[str, float]) -> None:
        spec = sb.services.get("playback-api")
        if spec is None:
            return
        per_replica = per_replica_starts_per_min(sb)
        for region, peak in starts.items():
            want = max(spec.min_replicas, min(spec.max_replicas, math.ceil(peak / per_replica)))
            if want != sb.ports.deployments.get_replicas("playback-api", region):
                sb.ports.deployments.set_replicas("playback-api", region, want, dry_run=False)


STRATEGY_NAMES = ("none", "reactive", "history-predictive", "social-predictive", "oracle")


def make_strategy(name: str) -> Strategy:
    """A fresh strategy by scoreboard name."""
    factories: dict[str, Callable[[], Strategy]] = {
        "none": NoControl,
        "reactive": Reactive,
        "history-predictive": HistoryPredictive,
        "social-predictive": SocialPredictive,
        "oracle": Oracle,
    }
    if name not in factories:
        raise ValueError(f"unknown strategy {name!r}; expected one of {list(STRATEGY_NAMES)}")
    return factories[name]()
