"""Viewing sessions as SPEC 8 counts them: client retries, user-perceived failures, outcome-blind pacing.

SPEC 8 counts availability per user, not per HTTP request: a session is ``views_per_session`` views
(SPEC 6: 3), the client retries a failed video start (100 ms, 500 ms, 2 s), and a user-perceived
failure is a session whose start still failed after those retries (the user gives up on it). Two
things keep the Locust sample honest about that ratio:

- retry delays are model time (wall = model / speed), so a retry lands at the same moment of a
  failover whatever the war game's speed;
- sessions start at a constant pace per simulated user, whatever their outcome (and each session
  takes the next region by weight, loadtests/regions.py). A failing client that retried fast and
  gave up does not start more sessions per second than a watching one, so failures are not
  over-counted relative to users, which is what per-request ratios did (fast 503s).

No Locust import: the locustfiles call these with their HTTP client, the tests with fakes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

VIDEO_START_RETRY_BACKOFF_MODEL_S = (0.1, 0.5, 2.0)  # SPEC 8: client retry 100 ms, 500 ms, 2 s


@dataclass(frozen=True)
class SessionResult:
    """One viewing session: did its start survive the client's retries, and how did its views go."""

    start_ok: bool
    views: int  # views attempted (the session stops at a failed start)
    failed_views: int  # views that still failed after the retries
    attempts: int  # HTTP video starts sent, retries included


def retry_delays(speed: float, enabled: bool) -> tuple[float, ...]:
    """Wall seconds before each retry of a failed video start (none when the client does not retry)."""
    if speed <= 0:
        raise ValueError(f"speed: expected model seconds per wall second > 0, got {speed}")
    return tuple(s / speed for s in VIDEO_START_RETRY_BACKOFF_MODEL_S) if enabled else ()


def pacing_s(views_per_session: int, think_time_s: float, p95_slo_ms: float) -> float:
    """Wall seconds between the starts of one user's sessions: its views, each within the latency SLO,
    with a think pause after each, fit in it; a session that fails early waits out the rest."""
    if views_per_session < 1:
        raise ValueError(f"views_per_session: expected >= 1, got {views_per_session}")
    return views_per_session * (think_time_s + p95_slo_ms / 1000.0)


def watch_view(start: Callable[[int], bool], delays: Sequence[float], sleep: Callable[[float], None]) -> int:
    """Start one video, retrying after each of ``delays``; the number of attempts it took (0 = failed)."""
    for attempt in range(len(delays) + 1):
        if start(attempt):
            return attempt + 1
        if attempt < len(delays):
            sleep(delays[attempt])
    return 0


def watch_session(
    views: int,
    start: Callable[[int, int], bool],
    delays: Sequence[float],
    sleep: Callable[[float], None],
    think: Callable[[], None],
) -> SessionResult:
    """``views`` video starts (``start(view, attempt)``), each retried; a start failing after its
    retries ends the session (a user-perceived failure), a later failed view is counted and skipped."""
    attempts = failed = 0
    for view in range(views):
        tries = watch_view(functools.partial(start, view), delays, sleep)
        attempts += tries or len(delays) + 1
        if tries == 0:
            failed += 1
            if view == 0:
                return SessionResult(start_ok=False, views=1, failed_views=1, attempts=attempts)
        if view < views - 1:
            think()
    return SessionResult(start_ok=True, views=views, failed_views=failed, attempts=attempts)
