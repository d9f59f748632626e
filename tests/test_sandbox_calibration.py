"""The sandbox reproduces the design's war-game arithmetic (SPEC 8) from its mechanisms."""

from __future__ import annotations

import pytest

from sandbox.outcomes import Outcome
from sandbox.running import run_scenario
from sandbox.scenarios import load_scenario

DESIGN_THROTTLED = 2_625_000
DESIGN_FAILED_STARTS = 123_750
DESIGN_AFFECTED_USERS = 41_250
DESIGN_PERCEIVED_WITH_STANDBY_AND_RETRY = 3_712


@pytest.fixture(scope="module")
def surge_none() -> Outcome:
    return run_scenario(load_scenario("viral-surge"), "none", seed=7)


def test_viral_surge_unmitigated_throttles_as_designed(surge_none: Outcome) -> None:
    assert surge_none.throttled_writes == pytest.approx(DESIGN_THROTTLED, rel=0.10)
    assert surge_none.lost_writes == surge_none.throttled_writes


def test_viral_surge_split_by_kind_is_60_30_10(surge_none: Outcome) -> None:
    total = surge_none.throttled_writes
    shares = [surge_none.extras[f"throttled_{k}_writes"] / total for k in ("view", "interaction", "ml")]
    assert shares == pytest.approx([0.6, 0.3, 0.1], abs=0.02)


def test_viral_surge_with_write_buffer_loses_nothing_and_delays_instead(surge_none: Outcome) -> None:
    buffered = run_scenario(load_scenario("viral-surge").with_mitigations(write_buffer=True), "none", seed=7)
    assert buffered.lost_writes == 0
    assert buffered.throttled_writes == 0
    assert buffered.delayed_writes > DESIGN_THROTTLED / 2
    assert buffered.write_p99_ms > surge_none.write_p99_ms
    assert buffered.extras["buffered_writes_pending"] == 0  # the buffer drained: delayed, not lost


def test_regional_failure_unmitigated_matches_the_design() -> None:
    out = run_scenario(load_scenario("regional-failure"), "none", seed=3)
    assert out.failed_starts == pytest.approx(DESIGN_FAILED_STARTS, rel=0.10)
    assert out.extras["affected_users"] == pytest.approx(DESIGN_AFFECTED_USERS, rel=0.10)


def test_regional_failure_with_standby_and_retry_matches_the_design() -> None:
    sc = load_scenario("regional-failure").with_mitigations(standby=True, client_retry=True)
    out = run_scenario(sc, "none", seed=3)
    assert out.user_perceived_failures == pytest.approx(DESIGN_PERCEIVED_WITH_STANDBY_AND_RETRY, rel=0.10)
    assert out.failed_starts < DESIGN_FAILED_STARTS / 5
