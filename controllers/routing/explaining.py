"""Explain a routing decision in words: which rule fired, with the numbers that made it fire.

Used by ``ops route explain`` and the audit trail. Pure: a decision, the config and the pool states
in, lines of text and a JSON-ready table of the pools considered out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from controllers.routing.decide import eta_s, is_saturated
from controllers.routing.models import CompiledPool, RouterConfig, RouteReason, RoutingDecision
from ports.types import PoolState

RULES = {
    RouteReason.HOME_HAS_ROOM: "home pool queue under its depth limit and on target (or nothing faster)",
    RouteReason.OVERFLOW_FASTER: "home pool would miss the upload-to-live target; the overflow pool is faster",
    RouteReason.OVERFLOW_HAS_ROOM: "home pool at its depth limit; overflow pool under its limit",
    RouteReason.HOME_UNTRUSTED_OVERFLOW: "home pool unobserved or its state disagrees with the config",
    RouteReason.BOTH_BUSY_SHORTER_ETA: "both pools at their depth limit but still able to grow: shorter ETA",
    RouteReason.SATURATED_CPU_FALLBACK: "both pools saturated (deep and at quota): CPU encoding is faster",
    RouteReason.SATURATED_RATE_LIMIT: "both pools saturated: the creator is told the queue position and ETA",
    RouteReason.NO_POOL_CPU_FALLBACK: "no pool of the jurisdiction can be trusted: CPU encoding at home",
    RouteReason.UNKNOWN_JURISDICTION: "no lane configured for this jurisdiction: nothing may be placed",
    RouteReason.MISCONFIGURED: "the lane's home region lies outside the jurisdiction: nothing may be placed",
}


def describe_pool(
    role: str, pool: CompiledPool | None, states: Mapping[str, PoolState], jurisdiction: str
) -> dict[str, Any]:
    """One considered pool: its numbers, whether it could be used, and its ETA."""
    if pool is None:
        return {"role": role, "pool": None, "usable": False, "why_not": "no pool configured"}
    state = states.get(pool.pool)
    row: dict[str, Any] = {
        "role": role,
        "pool": pool.pool,
        "region": pool.region,
        "depth_limit": pool.depth_limit,
        "saturation_depth": pool.saturation_depth,
        "quota_instances": pool.quota_instances,
    }
    if not pool.trusted:
        return {**row, "usable": False, "why_not": f"{pool.region} is outside {jurisdiction}"}
    if state is None:
        return {**row, "usable": False, "why_not": "not observed"}
    if (state.jurisdiction, state.region, state.pool) != (jurisdiction, pool.region, pool.pool):
        return {**row, "usable": False,
                "why_not": f"state claims {state.pool} in {state.region} ({state.jurisdiction})"}  # fmt: skip
    eta = eta_s(pool, state)
    return {**row, "usable": True, "depth": state.queue_depth, "running": state.running,
            "starting": state.starting, "in_flight": state.in_flight, "saturated": is_saturated(pool, state),
            "eta_s": None if math.isinf(eta) else round(eta, 1)}  # fmt: skip


def explain(decision: RoutingDecision, states: Mapping[str, PoolState], config: RouterConfig) -> dict[str, Any]:
    """The decision, the rule in words, every pool considered and the regions it was confined to."""
    lane = config.table.get(decision.jurisdiction)
    pools = [] if lane is None else [
        describe_pool("home", lane.home, states, decision.jurisdiction),
        describe_pool("overflow", lane.overflow, states, decision.jurisdiction),
    ]  # fmt: skip
    return {
        "decision": decision.to_dict(),
        "rule": RULES[decision.reason],
        "pools": pools,
        "allowed_regions": sorted(config.residency.get(decision.jurisdiction, frozenset())),
        "target_upload_to_live_s": config.target_upload_to_live_s,
    }
