"""The poller: a thread that records the sandbox's model time and signals while a war game runs.

It gives the war game its (wall, model) time pairs, used to place Locust's samples on model time,
and the timeline of platform signals (hit ratio, buffer depth, capacity, load) for the gates and the
chart. Failed polls are counted, not fatal: a war game with too many is reported invalid.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from chaos.client import call, unwrap_list
from wargames.measuring import Poll

SIGNALS_POLLED = {
    "cache_hit_ratio": "min",
    "write_buffer_depth": "max",
    "video_start_p95_ms": "max",
    "video_start_failure_ratio": "max",
    "video_starts_per_min": "sum",
    "table_capacity_wcu": "sum",
    "table_consumed_wcu": "sum",
    "table_throttled_per_min": "sum",
}
REDUCERS: dict[str, Callable[[list[float]], float]] = {"min": min, "max": max, "sum": sum}


def read_model_time(configuration: dict[str, Any]) -> float:
    return float(call("GET", "/healthz", configuration)["model_time"])


def read_poll(configuration: dict[str, Any]) -> tuple[float, Poll]:
    """One poll: model time and the reduced value of every polled signal."""
    model_time = read_model_time(configuration)
    values: dict[str, float] = {}
    for signal, how in SIGNALS_POLLED.items():
        samples = unwrap_list(call("GET", f"/admin/signals/{signal}", configuration), "samples")
        numbers = [float(s["value"]) for s in samples if s.get("value") is not None]
        if numbers:
            values[signal] = REDUCERS[how](numbers)
    faults = unwrap_list(call("GET", "/admin/faults", configuration), "faults")
    values["active_faults"] = float(len(faults))
    return model_time, Poll(t=model_time, values=values)


class Poller:
    """Polls every ``interval_s`` wall seconds until stopped."""

    def __init__(self, configuration: dict[str, Any], interval_s: float = 0.1, signals_every: int = 5) -> None:
        self.configuration = configuration
        self.interval_s = interval_s
        self.signals_every = signals_every
        self.pairs: list[tuple[float, float]] = []
        self.polls: list[Poll] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wargame-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def model_time(self) -> float:
        return self.pairs[-1][1] if self.pairs else 0.0

    def _run(self) -> None:
        """Model time every ``interval_s`` (for placing samples), all signals every ``signals_every``."""
        for n in itertools.count():
            if self._stop.is_set():
                return
            wall = time.time()
            try:
                if n % self.signals_every:
                    self.pairs.append((wall, read_model_time(self.configuration)))
                else:
                    model_time, poll = read_poll(self.configuration)
                    self.pairs.append((wall, model_time))
                    self.polls.append(poll)
            except Exception:  # a failed poll is counted and reported, never fatal
                self.errors += 1
            self._stop.wait(self.interval_s)
