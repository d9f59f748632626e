"""Traffic from DAU (SPEC 6): video starts, writes by kind, uploads (SPEC 3), surges (SPEC 8).

Rates are fluid (per second, per region), as the law of large numbers makes them at thousands of
events per second; randomness enters where counts are small (uploads, mentions, spot interruptions).
Every figure comes from the platform model (DAU, views per DAU, commute peak, interactions, active
hours, regional shares, uploads per day at the DAU) or from the scenario (surge multipliers, physics).
All regions share one platform clock (the shares are shares of one global curve, as in SPEC 6).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sandbox.physics import Physics
from sandbox.scenarios import Scenario
from stacks.model import TrafficSpec

FloatArray = NDArray[np.float64]
DAY_S = 86_400.0
# SPEC 3 weekly upload pattern: (weekday set, start hour, end hour, share of that day's uploads)
UPLOAD_WINDOWS: tuple[tuple[frozenset[int], float, float, float], ...] = (
    (frozenset({5}), 14.0, 18.0, 0.30),
    (frozenset({6}), 10.0, 14.0, 0.15),
    (frozenset({0, 1, 2, 3, 4}), 18.0, 21.0, 0.10),
    (frozenset({0, 1, 2, 3, 4}), 2.0, 6.0, 0.02),
)
NIGHT_WRITE_FLOOR = 0.1
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def scale_daily_curve(shape: tuple[float, ...], peak_factor: float) -> FloatArray:
    """Hourly points rescaled (a*x + b) so the day's mean is 1 and its maximum ``peak_factor``."""
    points = np.asarray(shape, dtype=float)
    spread = points.max() - points.mean()
    a = (peak_factor - 1.0) / spread if spread > 0 else 0.0
    return np.maximum(a * points + (1.0 - a * points.mean()), 0.0)


class Traffic:
    """Rates at any model time, for every region (index order of ``regions``)."""

    def __init__(self, spec: TrafficSpec, shares: FloatArray, jshares: FloatArray, scenario: Scenario) -> None:
        phys: Physics = scenario.physics
        dau = scenario.dau or spec.dau
        self.shares = shares
        self.jshares = jshares
        self.views_per_s = dau * spec.views_per_dau / DAY_S
        self.writes_per_s = dau * spec.interactions_per_dau / (spec.active_hours * 3600.0)
        self.curve = scale_daily_curve(phys.hourly_views_shape, spec.commute_peak_factor)
        self.active_start = phys.active_hours_start
        self.active_hours = spec.active_hours
        self.mix = np.asarray([phys.write_mix[k] for k in phys.write_mix], dtype=float)
        given = scenario.uploads.uploads_per_day  # None: the platform model's curve at this DAU (SPEC 3)
        self.uploads_per_day = spec.uploads_per_day_at(dau) if given is None else float(given)
        self.start_epoch = scenario.start_epoch
        self.surge = scenario.surge
        self.surge_start = None if scenario.surge is None else scenario.surge.start_s
        self.surge_mask = np.ones(len(shares))

    def set_surge_regions(self, mask: FloatArray) -> None:
        self.surge_mask = mask

    def set_surge_start(self, start_s: float | None) -> None:
        """A triggered surge starts when its video trends (None: it never does)."""
        self.surge_start = start_s

    def hour_of_day(self, t: float) -> float:
        return ((self.start_epoch + t) % DAY_S) / 3600.0

    def views_factor(self, t: float) -> float:
        """The daily curve at model offset ``t`` (mean 1 over a day, max = commute peak)."""
        h = self.hour_of_day(t)
        i = int(h) % 24
        frac = h - int(h)
        return float(self.curve[i] * (1 - frac) + self.curve[(i + 1) % 24] * frac)

    def writes_factor(self, t: float) -> float:
        """1 in the active hours (SPEC 6), ramping over an hour to a night floor."""
        h = (self.hour_of_day(t) - self.active_start) % 24.0
        if h < self.active_hours:
            return 1.0
        ramp_down = 1.0 - (h - self.active_hours)
        ramp_up = h - 23.0
        return max(NIGHT_WRITE_FLOOR, ramp_down, ramp_up)

    def surge_factors(self, t: float) -> tuple[float, float]:
        """(writes, views) multipliers at ``t``."""
        s, start = self.surge, self.surge_start
        if s is None or start is None or t < start:
            return 1.0, 1.0
        k = int((t - start) // s.window_s)
        w = s.writes[k] if k < len(s.writes) else 1.0
        v = s.views[k] if k < len(s.views) else 1.0
        return w, v

    def views(self, t: float) -> FloatArray:
        """Video starts per second by region (before routing)."""
        _, v = self.surge_factors(t)
        mult = 1.0 + (v - 1.0) * self.surge_mask
        return self.views_per_s * self.views_factor(t) * self.shares * mult

    def writes(self, t: float) -> FloatArray:
        """Writes per second, shape (region, kind)."""
        w, _ = self.surge_factors(t)
        mult = 1.0 + (w - 1.0) * self.surge_mask
        per_region = self.writes_per_s * self.writes_factor(t) * self.shares * mult
        return np.outer(per_region, self.mix)

    def normal_writes(self) -> FloatArray:
        """Writes per second in the active hours without surge, shape (region, kind)."""
        return np.outer(self.writes_per_s * self.shares, self.mix)

    def uploads(self, t: float) -> FloatArray:
        """Uploads per second by jurisdiction (SPEC 3 weekly pattern)."""
        weekday = (int((self.start_epoch + t) // DAY_S) + EPOCH_WEEKDAY) % 7
        return self.uploads_per_day * upload_share_per_hour(weekday, self.hour_of_day(t)) / 3600.0 * self.jshares


def upload_share_per_hour(weekday: int, hour: float) -> float:
    """Share of the day's uploads arriving per hour at ``hour`` on ``weekday`` (0 = Monday)."""
    windows = [(a, b, s) for days, a, b, s in UPLOAD_WINDOWS if weekday in days]
    for a, b, share in windows:
        if a <= hour < b:
            return share / (b - a)
    rest_hours = 24.0 - sum(b - a for a, b, _ in windows)
    return (1.0 - sum(s for _, _, s in windows)) / rest_hours
