"""Arrival-rate estimation from consecutive pool observations (queue conservation)."""

from __future__ import annotations

import pytest

from controllers.pool_scaling.estimating import DECAY, SMOOTHING, estimate_arrivals_per_hour
from ports.types import PoolState


def obs(depth: int, running: int, at: float) -> PoolState:
    return PoolState(
        pool="p", region="r", jurisdiction="EU", queue_depth=depth, running=running, starting=0, desired=running,
        min_size=0, max_size=50, quota_instances=50, observed_at=at,
    )  # fmt: skip


CASES = [
    # busy both times: growth 60 jobs in 60 s (3,600/h) + 10 instances * 200/h served = 5,600/h
    pytest.param(obs(10, 10, 0), obs(70, 10, 60), None, 5_600.0, id="queue-grew-while-busy"),
    pytest.param(obs(70, 10, 0), obs(10, 10, 60), None, 0.0, id="queue-drained-faster-than-capacity-clamped"),
    pytest.param(obs(40, 10, 0), obs(40, 10, 60), 1_000.0, SMOOTHING * 2_000 + (1 - SMOOTHING) * 1_000,
                 id="steady-busy-smoothed"),
    pytest.param(obs(0, 10, 0), obs(0, 10, 60), None, None, id="idle-and-nothing-known"),
    pytest.param(obs(0, 10, 0), obs(0, 10, 60), 1_000.0, 1_000.0 * DECAY, id="keeping-up-decays"),
    pytest.param(obs(0, 10, 0), obs(0, 5, 60), 5_000.0, 5 * 200 * 0.7 * DECAY, id="keeping-up-capped-by-capacity"),
    pytest.param(obs(5, 10, 60), obs(5, 10, 60), 123.0, 123.0, id="no-time-passed-keeps-previous"),
]  # fmt: skip


@pytest.mark.parametrize(("prev", "cur", "previous", "expected"), CASES)
def test_estimate(prev: PoolState, cur: PoolState, previous: float | None, expected: float | None) -> None:
    got = estimate_arrivals_per_hour(prev, cur, previous, 200.0, 0.7)
    assert got == (None if expected is None else pytest.approx(expected))
