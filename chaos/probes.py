"""Chaos Toolkit probes of the platform's SLOs, read from the sandbox's admin API.

Each probe returns one number so that tolerances stay simple (``[0, 300]``, ``0``): the worst value
across the matching label sets (highest latency, lowest hit ratio). Signals are those of
ports/metrics.py; the outcome counters are those of docs/contracts.md section 3.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from chaoslib.exceptions import ActivityFailed

from chaos.client import Configuration, call, unwrap_list
from ports.metrics import SignalName

__all__ = [
    "active_faults",
    "cache_hit_ratio_min",
    "lost_writes",
    "lost_writes_per_min",
    "outcome_counter",
    "read_signal",
    "video_start_failure_ratio",
    "video_start_p95_ms",
    "write_buffer_depth",
]


def read_signal(
    signal: str, reducer: str = "max", region: str | None = None, configuration: Configuration = None
) -> float:
    """A signal's worst value (``max`` or ``min`` over label sets); 0 when nothing is reported."""
    try:
        name = SignalName(signal)
    except ValueError:
        raise ActivityFailed(f"unknown signal {signal!r}; expected one of {[s.value for s in SignalName]}") from None
    query = f"?{urllib.parse.urlencode({'region': region})}" if region else ""
    samples = unwrap_list(call("GET", f"/admin/signals/{name.value}{query}", configuration), "samples")
    values = [float(s["value"]) for s in samples if s.get("value") is not None]
    if not values:
        return 0.0
    return max(values) if reducer == "max" else min(values)


def video_start_p95_ms(region: str | None = None, configuration: Configuration = None) -> float:
    return read_signal(SignalName.VIDEO_START_P95_MS, "max", region, configuration)


def video_start_failure_ratio(region: str | None = None, configuration: Configuration = None) -> float:
    return read_signal(SignalName.VIDEO_START_FAILURE_RATIO, "max", region, configuration)


def cache_hit_ratio_min(configuration: Configuration = None) -> float:
    value = read_signal(SignalName.CACHE_HIT_RATIO, "min", None, configuration)
    return value if value > 0 else 1.0


def write_buffer_depth(region: str | None = None, configuration: Configuration = None) -> float:
    return read_signal(SignalName.WRITE_BUFFER_DEPTH, "max", region, configuration)


def outcome_counter(name: str, configuration: Configuration = None) -> float:
    outcome: dict[str, Any] = call("GET", "/admin/outcome", configuration) or {}
    if name not in outcome:
        raise ActivityFailed(f"outcome has no counter {name!r}; it has {sorted(outcome)}")
    return float(outcome[name] or 0)


def lost_writes(configuration: Configuration = None) -> float:
    """Writes lost since the sandbox started (cumulative, full model scale)."""
    return outcome_counter("lost_writes", configuration)


def lost_writes_per_min(window_s: float = 10.0, configuration: Configuration = None) -> float:
    """Writes being lost now: the lost-writes counter's growth over ``window_s`` model seconds, per minute."""
    from chaos.actions import read_model_time, wait_model_time

    before, start = lost_writes(configuration), read_model_time(configuration)
    end = wait_model_time(window_s, configuration=configuration)
    return (lost_writes(configuration) - before) * 60.0 / max(end - start, 1e-9)


def active_faults(configuration: Configuration = None) -> int:
    return len(unwrap_list(call("GET", "/admin/faults", configuration), "faults"))
