"""Pure GPU pool scaling (SPEC section 3): the largest of four requirements, capped by quota.

Requirements per pool, each from the platform model's numbers:
- step rules on queue depth (< 50 step in by one if > 10 instances; 50-100 hold; > 100 +10;
  > 500 +20),
  where a step waits while instances are still starting, so one backlog never launches twice
  (and instances launched for a reason are not cancelled before they could help);
- a backlog target: enough instances that the backlog drains within ``drain_target_s``
  (``videos_per_hour_per_instance``), counting running *and* starting instances as capacity;
- the known weekly peak's capacity, from ``lead_minutes`` before the window until it closes;
- an arrival-rate target: the estimated jobs/hour over ``videos_per_hour_per_instance`` at
  ``target_utilisation`` (so queues stay short instead of being drained after they formed);
- a floor: ``min_size``, and never zero while work is queued or in flight.
After ``idle_terminate_minutes`` without work the step requirement drops to nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from controllers.pool_scaling.models import (
    CONTROLLER,
    DAYS,
    PoolDecision,
    PoolScalingConfig,
    PoolScalingDecision,
    PoolScalingObservation,
    ScaleReason,
    WeeklyPeak,
)
from ports.types import PoolState


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_window(peak: WeeklyPeak, when: datetime) -> bool:
    minute = when.hour * 60 + when.minute
    return DAYS[when.weekday()] in peak.days and peak.start_minute <= minute < peak.end_minute


def active_peak(config: PoolScalingConfig, now: float) -> WeeklyPeak | None:
    """The peak that is open now or opens within ``lead_minutes`` (wall time in the pool's zone)."""
    tz = zone(config.timezone)
    moments = (datetime.fromtimestamp(now, tz), datetime.fromtimestamp(now + config.lead_minutes * 60, tz))
    for peak in config.peaks:
        if any(in_window(peak, moment) for moment in moments):
            return peak
    return None


def step_requirement(state: PoolState, config: PoolScalingConfig, current: int) -> tuple[int, ScaleReason]:
    """The step rule's desired capacity and its reason."""
    th, depth = config.thresholds, state.queue_depth
    if depth > th.add_10_above:
        large = depth > th.add_20_above
        if state.starting > 0:
            return current, ScaleReason.WAIT_FOR_STARTING
        step = th.add_large if large else th.add_small
        return current + step, ScaleReason.STEP_OUT_LARGE if large else ScaleReason.STEP_OUT_SMALL
    if depth >= th.scale_in_below:
        return current, ScaleReason.HOLD_BAND
    idle = state.queue_depth == 0 and state.in_flight == 0
    if idle and state.idle_seconds >= th.idle_terminate_minutes * 60:
        return 0, ScaleReason.IDLE_SCALE_IN
    if current > th.scale_in_min_tasks and state.starting == 0:
        return current - 1, ScaleReason.STEP_IN
    return current, ScaleReason.STEADY


def backlog_requirement(state: PoolState, config: PoolScalingConfig) -> int:
    """Instances so that queued plus in-flight jobs drain within the target (messages per instance)."""
    return math.ceil((state.queue_depth + state.in_flight) / config.messages_per_instance)


def arrival_requirement(arrivals_per_hour: float, config: PoolScalingConfig) -> int:
    """Instances for an arrival rate at the target utilisation (0 when unknown or malformed)."""
    if not math.isfinite(arrivals_per_hour) or arrivals_per_hour <= 0:
        return 0
    return math.ceil(arrivals_per_hour / (config.videos_per_hour_per_instance * config.target_utilisation))


def split_arrival_requirements(
    states: Sequence[PoolState], configs: Mapping[str, PoolScalingConfig], arrivals: Mapping[str, float]
) -> dict[str, int]:
    """Size each jurisdiction for all its arrivals, home pool first (up to its cap), overflow the rest.

    Routing sends a job to the overflow pool only when the home pool is slower, so sizing each
    pool for what it happened to receive would chase the router; sizing the jurisdiction does not.
    """
    by_jurisdiction: dict[str, list[tuple[PoolScalingConfig, PoolState]]] = {}
    for state in states:
        by_jurisdiction.setdefault(state.jurisdiction, []).append((configs[state.pool], state))
    out: dict[str, int] = {}
    for members in by_jurisdiction.values():
        total = sum(arrivals.get(c.pool, 0.0) for c, _ in members)
        members.sort(key=lambda m: m[0].role != "home")
        left = arrival_requirement(total, members[0][0])
        for config, state in members:
            out[config.pool] = min(left, max(0, min(config.cap, state.max_size, state.quota_instances)))
            left -= out[config.pool]
    return out


def floor_requirement(state: PoolState, config: PoolScalingConfig) -> tuple[int, ScaleReason]:
    if (state.queue_depth > 0 or state.in_flight > 0) and config.min_size < 1:
        return 1, ScaleReason.KEEP_ONE_FOR_WORK
    return config.min_size, ScaleReason.MIN_SIZE


def decide_pool(state: PoolState, config: PoolScalingConfig, now: float, arrival_need: int = 0) -> PoolDecision:
    """One pool's desired capacity, the rule that set it, and every rule's requirement."""
    current = max(state.desired, state.running + state.starting)
    step, step_reason = step_requirement(state, config, current)
    peak = active_peak(config, now)
    floor, floor_reason = floor_requirement(state, config)
    requirements = {
        "step": step,
        "floor": floor,
        "peak": config.peak_instances.get(peak.name, 0) if peak else 0,
        "backlog": backlog_requirement(state, config),
        "arrivals": arrival_need,
    }
    reasons = {
        "step": step_reason,
        "floor": floor_reason,
        "peak": ScaleReason.PEAK_PRESCALE,
        "backlog": ScaleReason.BACKLOG_TARGET,
        "arrivals": ScaleReason.ARRIVAL_RATE,
    }
    winner = max(requirements, key=lambda k: requirements[k])  # ties: the earlier key explains it
    cap = max(0, min(config.cap, state.max_size, state.quota_instances))
    desired, reason = requirements[winner], reasons[winner]
    if desired > cap:
        desired, reason = cap, ScaleReason.QUOTA_CAPPED
    action = "scale_out" if desired > state.desired else "scale_in" if desired < state.desired else "hold"
    return PoolDecision(
        pool=state.pool,
        action=action,
        reason=reason,
        current=state.desired,
        desired=desired,
        queue_depth=state.queue_depth,
        running=state.running,
        starting=state.starting,
        requirements=requirements,
        peak=peak.name if peak else None,
    )


def matches(state: PoolState, config: PoolScalingConfig) -> bool:
    """Act only on a pool whose observed region and jurisdiction match its config."""
    return state.region == config.region and state.jurisdiction == config.jurisdiction


def decide(
    observation: PoolScalingObservation, configs: dict[str, PoolScalingConfig], now: float
) -> PoolScalingDecision:
    """Every configured pool's verdict; pools unknown or mismatched are listed, never acted on."""
    usable = [s for s in observation.states if s.pool in configs and matches(s, configs[s.pool])]
    needs = split_arrival_requirements(usable, configs, observation.arrivals_per_hour)
    verdicts = [decide_pool(s, configs[s.pool], now, needs.get(s.pool, 0)) for s in usable]
    skipped = sorted(s.pool for s in observation.states if s.pool not in configs or not matches(s, configs[s.pool]))
    changes = [v for v in verdicts if v.action != "hold"]
    reason = ",".join(sorted({str(v.reason) for v in changes})) if changes else "no_pool_changes"
    return PoolScalingDecision(
        controller=CONTROLLER,
        action="scale" if changes else "noop",
        reason=reason,
        at=now,
        details={"skipped_pools": skipped} if skipped else {},
        pools=tuple(verdicts),
    )
