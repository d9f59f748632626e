"""Load shapes for the viral surge and the commute peak; ``tick()`` only delegates to a pure stage.

Elapsed wall time x ``REELOPS_SPEED`` is model time, so the same shape runs in real time (speed 1)
or compressed inside a war game. The stage functions live in loadtests/stages.py.
"""

from __future__ import annotations

import time

from locust import LoadTestShape

from loadtests.settings import read_settings
from loadtests.stages import CommuteProfile, SurgeProfile, commute_peak_stage, viral_surge_stage

SETTINGS = read_settings()


class ScaledShape(LoadTestShape):
    """A shape whose clock is model time: elapsed wall seconds x REELOPS_SPEED."""

    abstract = True

    def model_time(self) -> float:
        """Elapsed model time since the run started (or since REELOPS_START_WALL, when a war game set it)."""
        if SETTINGS.start_wall is not None:
            return (time.time() - SETTINGS.start_wall) * SETTINGS.speed
        return float(self.get_run_time()) * SETTINGS.speed  # type: ignore[no-untyped-call]


class ViralSurgeShape(ScaledShape):
    """Normal load, then the spec's 12x/8x/5x/3x/2x two-minute windows, then normal again."""

    profile = SurgeProfile(
        base_users=SETTINGS.base_users, surge_at_s=SETTINGS.surge_at_s, duration_s=SETTINGS.duration_s
    )

    def tick(self) -> tuple[int, float] | None:
        stage = viral_surge_stage(self.model_time(), self.profile)
        return None if stage is None else (stage.users, stage.spawn_rate)


class CommutePeakShape(ScaledShape):
    """Average load ramping to the 1.8x commute peak (reached at REELOPS_SURGE_AT_S), a plateau, and back."""

    profile = CommuteProfile(
        base_users=SETTINGS.base_users,
        duration_s=SETTINGS.duration_s,
        ramp_s=SETTINGS.ramp_s,
        peak_at_s=SETTINGS.surge_at_s,
    )

    def tick(self) -> tuple[int, float] | None:
        stage = commute_peak_stage(self.model_time(), self.profile)
        return None if stage is None else (stage.users, stage.spawn_rate)
