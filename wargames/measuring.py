"""Measures per time window, from Locust's samples, the writes' fates and the sandbox's signals. Pure.

Everything is placed on model time first (``to_model_time`` interpolates the wall -> model pairs the
poller recorded), so that a phase or a bin is one interval whatever the speed of the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from wargames.models import Metric


@dataclass(frozen=True)
class Request:
    """One Locust request placed on model time."""

    t: float
    name: str
    ms: float
    ok: bool


@dataclass(frozen=True)
class WriteFate:
    t: float
    id: str
    acknowledged: bool
    status: int


@dataclass(frozen=True)
class Session:
    """One Locust viewing session placed on model time (its first video start), after client retries."""

    t: float
    region: str
    start_ok: bool
    views: int
    failed_views: int


@dataclass(frozen=True)
class Poll:
    """The sandbox as polled at model time ``t``: signal name -> worst value."""

    t: float
    values: dict[str, float] = field(default_factory=dict)


def to_model_time(walls: Sequence[float], pairs: Sequence[tuple[float, float]]) -> list[float]:
    """Map wall timestamps to model time by interpolating the (wall, model) pairs (extrapolating flat)."""
    if not pairs:
        raise ValueError("no (wall, model) time pairs were recorded")
    wall, model = zip(*sorted(pairs), strict=True)
    return [float(v) for v in np.interp(np.asarray(walls, dtype=float), wall, model)]


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else None


def in_window(t: float, start: float, end: float) -> bool:
    return start <= t < end


def measure_window(
    requests: Iterable[Request],
    writes: Iterable[WriteFate],
    polls: Iterable[Poll],
    start: float,
    end: float,
    sessions: Iterable[Session] = (),
) -> dict[Metric, float | None]:
    """Every metric of wargames.models.Metric over ``[start, end)`` model seconds (None = no data).

    Sessions count in the window where they started (SPEC 8 counts a user once, at their session)."""
    starts = [r for r in requests if r.name == "video-start" and in_window(r.t, start, end)]
    begun = [s for s in sessions if in_window(s.t, start, end)]
    fates = [w for w in writes if in_window(w.t, start, end)]
    window = [p for p in polls if in_window(p.t, start, end)]
    hits = [p.values["cache_hit_ratio"] for p in window if "cache_hit_ratio" in p.values]
    depth = [p.values["write_buffer_depth"] for p in window if "write_buffer_depth" in p.values]
    return {
        Metric.VIDEO_START_P95_MS: percentile([r.ms for r in starts], 95),
        Metric.VIDEO_START_ERROR_RATIO: (sum(not r.ok for r in starts) / len(starts)) if starts else None,
        Metric.SESSION_FAILURE_RATIO: (sum(not s.start_ok for s in begun) / len(begun)) if begun else None,
        Metric.WRITE_REJECTION_RATIO: (sum(not w.acknowledged for w in fates) / len(fates)) if fates else None,
        Metric.CACHE_HIT_RATIO_MIN: min(hits) if hits else None,
        Metric.WRITE_BUFFER_DEPTH_MAX: max(depth) if depth else None,
    }


def split_bins(start: float, end: float, bin_s: float) -> list[tuple[float, float]]:
    edges = np.arange(start, end, bin_s)
    return [(float(a), float(min(a + bin_s, end))) for a in edges]
