"""Pure stage functions behind the load shapes: time in, desired users out. No Locust import here.

Locust's ``LoadTestShape.tick()`` only asks "how many users now, at what spawn rate"; the answer is
a pure function of elapsed time so that it can be tested without a clock and reused by the war game.
Time is model time (wall seconds x speed) so that a war game run at 10x compresses the same shape.

- Viral surge (SPEC section 8, scenario 3): 2-minute windows at 12x, 8x, 5x, 3x and 2x the normal
  write rate, then back to normal.
- Commute peak (SPEC section 6): a ramp from the average to 1.8x, a plateau, and a ramp back down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SURGE_MULTIPLIERS = (12.0, 8.0, 5.0, 3.0, 2.0)
SURGE_WINDOW_S = 120.0


@dataclass(frozen=True)
class Stage:
    """What the shape wants now: users and spawn rate (users per second)."""

    users: int
    spawn_rate: float


@dataclass(frozen=True)
class SurgeProfile:
    base_users: int
    surge_at_s: float
    duration_s: float
    multipliers: tuple[float, ...] = SURGE_MULTIPLIERS
    window_s: float = SURGE_WINDOW_S


@dataclass(frozen=True)
class CommuteProfile:
    base_users: int
    duration_s: float
    peak_factor: float = 1.8
    ramp_s: float = 600.0
    plateau_s: float = 1800.0
    peak_at_s: float = 600.0


def surge_multiplier(t_s: float, profile: SurgeProfile) -> float:
    """The surge's multiple of normal load at model time ``t_s`` (1.0 outside the surge)."""
    if t_s < profile.surge_at_s:
        return 1.0
    window = int((t_s - profile.surge_at_s) // profile.window_s)
    return profile.multipliers[window] if window < len(profile.multipliers) else 1.0


def commute_multiplier(t_s: float, profile: CommuteProfile) -> float:
    """Average load, a linear ramp to the peak factor, a plateau, a linear ramp back down."""
    up_end = profile.peak_at_s
    up_start = up_end - profile.ramp_s
    down_start = up_end + profile.plateau_s
    rise = profile.peak_factor - 1.0
    if t_s <= up_start or t_s >= down_start + profile.ramp_s:
        return 1.0
    if t_s < up_end:
        return 1.0 + rise * (t_s - up_start) / profile.ramp_s
    if t_s <= down_start:
        return profile.peak_factor
    return profile.peak_factor - rise * (t_s - down_start) / profile.ramp_s


MAX_SPAWN_RATE = 10.0  # users per second: a burst of new users stalls Locust and skews its latencies


def to_stage(base_users: int, multiplier: float, tick_s: float = 1.0) -> Stage:
    """Users for a multiplier, spawned fast enough to reach the level within one tick (capped)."""
    users = max(1, math.ceil(base_users * multiplier - 1e-9))
    return Stage(users=users, spawn_rate=min(float(users) / tick_s, MAX_SPAWN_RATE))


def viral_surge_stage(t_s: float, profile: SurgeProfile) -> Stage | None:
    """The viral-surge shape at model time ``t_s``; None once the run is over."""
    if t_s >= profile.duration_s:
        return None
    return to_stage(profile.base_users, surge_multiplier(t_s, profile))


def commute_peak_stage(t_s: float, profile: CommuteProfile) -> Stage | None:
    """The commute-peak shape at model time ``t_s``; None once the run is over."""
    if t_s >= profile.duration_s:
        return None
    return to_stage(profile.base_users, commute_multiplier(t_s, profile))


def steady_stage(t_s: float, base_users: int, duration_s: float) -> Stage | None:
    return None if t_s >= duration_s else to_stage(base_users, 1.0)
