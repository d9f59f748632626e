"""Pure encode routing (SPEC section 2): where one job goes, why, and how long it will take.

Order: home pool while its queue is under ``route_depth_limit``; else the same-jurisdiction overflow
pool under its limit. One refinement of SPEC section 2: while the home pool's expected upload-to-live
is past the target (30 s) and the overflow pool (under its limit) would be faster, the overflow pool
takes the job, so a home pool capped by its quota does not queue 500 jobs (minutes) first; else,
while the pools can still grow, the pool with the shorter ETA; when both
are saturated (depth > ``saturation_depth`` and quota reached) CPU fallback in the home region when
that is faster than the GPU queue, otherwise a rate limit with the honest queue position and ETA.

A pool is only ever a candidate when three independent facts agree that it belongs to the job's
jurisdiction: the config's residency map, the compiled lane, and the observed pool state's own
``jurisdiction`` and ``region``. A state or a config that disagrees makes the pool untrusted, never
a destination. Allocation-light: tuples and NamedTuples, no pydantic construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from controllers.routing.models import (
    CompiledLane,
    CompiledPool,
    EncodeJob,
    RouterConfig,
    RouteReason,
    RoutingDecision,
)
from ports.types import PoolState, RouteAction

INF = math.inf


def route(job: EncodeJob, pool_states: Mapping[str, PoolState], config: RouterConfig) -> RoutingDecision:
    """Route one encode job; never returns a pool or region outside ``job.jurisdiction``."""
    jurisdiction = job.jurisdiction
    lane = config.table.get(jurisdiction)
    if lane is None:
        return refuse(job, RouteReason.UNKNOWN_JURISDICTION, "")
    if not lane.home_region_ok:
        return refuse(job, RouteReason.MISCONFIGURED, "")
    # a pool's state counts only if it agrees with the lane (inlined: hot path, >= 100,000/s)
    home, over = lane.home, lane.overflow
    hs = os_ = None
    if home is not None and home.trusted:
        hs = pool_states.get(home.pool)
        if hs is not None and (hs.jurisdiction != jurisdiction or hs.region != home.region or hs.pool != home.pool):
            hs = None
    if over is not None and over.trusted:
        os_ = pool_states.get(over.pool)
        if os_ is not None and (os_.jurisdiction != jurisdiction or os_.region != over.region or os_.pool != over.pool):
            os_ = None
    hd = hs.queue_depth if hs is not None else None
    od = os_.queue_depth if os_ is not None else None
    over_open = over is not None and os_ is not None and os_.queue_depth < over.depth_limit
    if home is not None and hs is not None and hs.queue_depth < home.depth_limit:
        home_eta = eta_s(home, hs)
        if home_eta <= lane.target_s or not over_open:
            return place(job, RouteAction.HOME, RouteReason.HOME_HAS_ROOM, home, hs, hd, od, home_eta)
        assert over is not None and os_ is not None
        over_eta = eta_s(over, os_)
        if over_eta >= home_eta:
            return place(job, RouteAction.HOME, RouteReason.HOME_HAS_ROOM, home, hs, hd, od, home_eta)
        return place(job, RouteAction.OVERFLOW, RouteReason.OVERFLOW_FASTER, over, os_, hd, od, over_eta)
    if over_open:
        assert over is not None and os_ is not None
        reason = RouteReason.OVERFLOW_HAS_ROOM if hs is not None else RouteReason.HOME_UNTRUSTED_OVERFLOW
        return place(job, RouteAction.OVERFLOW, reason, over, os_, hd, od)
    return route_busy(job, lane, hs, os_, hd, od)


def route_busy(
    job: EncodeJob,
    lane: CompiledLane,
    hs: PoolState | None,
    os_: PoolState | None,
    hd: int | None,
    od: int | None,
) -> RoutingDecision:
    """Both pools at their depth limit (or unobservable): shorter ETA, CPU fallback or rate limit."""
    home_eta = eta_s(lane.home, hs) if hs is not None and lane.home is not None else INF
    over_eta = eta_s(lane.overflow, os_) if os_ is not None and lane.overflow is not None else INF
    if home_eta == INF and over_eta == INF:
        return RoutingDecision(
            job.job_id, job.jurisdiction, RouteAction.CPU_FALLBACK, RouteReason.NO_POOL_CPU_FALLBACK,
            None, lane.home_region, lane.cpu_fallback_s, None, None, hd, od,
        )  # fmt: skip
    use_home = home_eta <= over_eta
    pool, state, best = (lane.home, hs, home_eta) if use_home else (lane.overflow, os_, over_eta)
    assert pool is not None and state is not None
    if not (is_saturated(lane.home, hs) and is_saturated(lane.overflow, os_)):
        action = RouteAction.HOME if use_home else RouteAction.OVERFLOW
        return place(job, action, RouteReason.BOTH_BUSY_SHORTER_ETA, pool, state, hd, od)
    if best > lane.cpu_fallback_s:
        return RoutingDecision(
            job.job_id, job.jurisdiction, RouteAction.CPU_FALLBACK, RouteReason.SATURATED_CPU_FALLBACK,
            None, lane.home_region, lane.cpu_fallback_s, None, None, hd, od,
        )  # fmt: skip
    return RoutingDecision(
        job.job_id, job.jurisdiction, RouteAction.RATE_LIMIT, RouteReason.SATURATED_RATE_LIMIT,
        None, lane.home_region, best, state.queue_depth + 1, max(0.0, best - pool.pipeline_s), hd, od,
    )  # fmt: skip


def is_saturated(pool: CompiledPool | None, state: PoolState | None) -> bool:
    """Saturated: deeper than ``saturation_depth`` and no quota left to add instances (or unusable)."""
    if pool is None or state is None:
        return True
    quota = min(pool.quota_instances, state.quota_instances)
    return state.queue_depth > pool.saturation_depth and state.running + state.starting >= quota


def eta_s(pool: CompiledPool, state: PoolState) -> float:
    """Expected upload-to-live for a job joining this pool now: queue wait plus the pipeline."""
    ahead = state.queue_depth + state.in_flight
    if state.running > 0:
        if ahead < state.running:
            return pool.pipeline_s
        return (ahead - state.running + 1) / (state.running * pool.per_instance_per_s) + pool.pipeline_s
    if state.starting > 0:
        return pool.startup_s + (ahead + 1) / (state.starting * pool.per_instance_per_s) + pool.pipeline_s
    return INF


def place(
    job: EncodeJob,
    action: RouteAction,
    reason: RouteReason,
    pool: CompiledPool,
    state: PoolState,
    hd: int | None,
    od: int | None,
    eta: float | None = None,
) -> RoutingDecision:
    return RoutingDecision(
        job.job_id, job.jurisdiction, action, reason, pool.pool, pool.region,
        eta_s(pool, state) if eta is None else eta, state.queue_depth + 1, None, hd, od,
    )  # fmt: skip


def refuse(job: EncodeJob, reason: RouteReason, region: str) -> RoutingDecision:
    """Rate-limit a job the router cannot place safely (no ETA can be promised)."""
    return RoutingDecision(job.job_id, job.jurisdiction, RouteAction.RATE_LIMIT, reason, None, region, INF)


def route_batch(
    jobs: Sequence[EncodeJob], pool_states: Mapping[str, PoolState], config: RouterConfig
) -> list[RoutingDecision]:
    """Route several jobs in order, counting each placed job in its pool's depth for the next one."""
    states = dict(pool_states)
    decisions: list[RoutingDecision] = []
    for job in jobs:
        decision = route(job, states, config)
        decisions.append(decision)
        if decision.pool is not None:
            state = states[decision.pool]
            states[decision.pool] = state.model_copy(update={"queue_depth": state.queue_depth + 1})
    return decisions
