"""Estimate a pool's job arrival rate from two consecutive observations (queue conservation).

While a pool's queue stays non-empty its running instances are all busy, so what arrived is what
the queue grew by plus what the instances finished: ``(depth1 - depth0) / dt + running * rate``.
When the queue empties the pool keeps up and the rate is only bounded by its capacity: the last
estimate is kept, capped at what the current instances serve at the target utilisation, and decays
so that capacity nobody needs can be scaled in. Pure functions; the scaler keeps the memory.
"""

from __future__ import annotations

from ports.types import PoolState

SMOOTHING = 0.5  # weight of a new measurement against the previous estimate
DECAY = 0.98  # per observation while the queue stays empty (halves in ~35 one-minute ticks)


def estimate_arrivals_per_hour(
    prev: PoolState,
    cur: PoolState,
    previous: float | None,
    videos_per_hour_per_instance: float,
    target_utilisation: float,
) -> float | None:
    """Jobs/hour arriving at the pool, or None when nothing is known yet."""
    dt = cur.observed_at - prev.observed_at
    if dt <= 0:
        return previous
    if prev.queue_depth > 0 and cur.queue_depth > 0:
        served_per_hour = min(prev.running, cur.running) * videos_per_hour_per_instance
        measured = max(0.0, (cur.queue_depth - prev.queue_depth) * 3600.0 / dt + served_per_hour)
        return measured if previous is None else SMOOTHING * measured + (1 - SMOOTHING) * previous
    if previous is None:
        return None
    keeps_up = cur.running * videos_per_hour_per_instance * target_utilisation
    return min(previous, keeps_up) * DECAY
