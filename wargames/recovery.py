"""Recovery time: from the fault's injection to the moment the SLOs hold again, and keep holding. Pure.

The timeline is a sequence of bins ``(start_s, healthy)`` in model time. The platform has recovered
at the start of the first bin after the injection from which every bin stays healthy for at least
``sustain_s`` (or until the observation ends, if that comes first but after at least one bin). A
fault the platform absorbs without a single unhealthy bin recovers in 0 s. Never recovering is None.
"""

from __future__ import annotations

from collections.abc import Sequence


def measure_recovery_time(
    bins: Sequence[tuple[float, bool]], injected_at: float, bin_s: float, sustain_s: float
) -> float | None:
    """Model seconds from ``injected_at`` to sustained health, or None if it never came."""
    after = [(t, ok) for t, ok in sorted(bins) if t + bin_s > injected_at]
    streak_start: float | None = None
    for t, ok in after:
        if not ok:
            streak_start = None
            continue
        if streak_start is None:
            streak_start = max(t, injected_at)
        if t + bin_s - streak_start >= sustain_s:
            return round(streak_start - injected_at, 3)
    if streak_start is not None and after and after[-1][1]:
        return round(streak_start - injected_at, 3)  # healthy to the end of what we saw
    return None
