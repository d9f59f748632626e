"""Clocks: wall time for production loops, a fake clock for tests and fast simulations.

Only loops read a clock; ``decide()`` functions receive ``now`` as an argument. Tests advance a
:class:`FakeClock` instead of sleeping.
"""

from __future__ import annotations

import time


class WallClock:
    """Real time (epoch seconds)."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class FakeClock:
    """Time that moves only when told to; ``sleep`` advances it instantly."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        self._now += seconds
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
