"""Load shapes: the pure stage functions, and the LoadTestShape classes that only delegate to them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from loadtests.settings import SettingsError, parse_weights, read_settings
from loadtests.stages import (
    CommuteProfile,
    Stage,
    SurgeProfile,
    commute_multiplier,
    commute_peak_stage,
    surge_multiplier,
    viral_surge_stage,
)

SURGE = SurgeProfile(base_users=10, surge_at_s=120, duration_s=900)


@pytest.mark.parametrize(
    ("t", "multiplier"),
    [(0, 1), (119.9, 1), (120, 12), (239, 12), (240, 8), (360, 5), (480, 3), (600, 2), (719, 2), (720, 1), (899, 1)],
)
def test_surge_follows_the_spec_windows(t: float, multiplier: float) -> None:
    assert surge_multiplier(t, SURGE) == multiplier


def test_surge_stage_users_and_end() -> None:
    assert viral_surge_stage(130, SURGE) == Stage(users=120, spawn_rate=10.0)  # spawning capped
    assert viral_surge_stage(0, SURGE) == Stage(users=10, spawn_rate=10.0)
    assert viral_surge_stage(900, SURGE) is None


def test_commute_peak_ramps_to_1_8x_and_back() -> None:
    p = CommuteProfile(base_users=10, duration_s=4000, ramp_s=600, plateau_s=1800, peak_at_s=600)
    assert commute_multiplier(0, p) == 1.0
    assert commute_multiplier(300, p) == pytest.approx(1.4)
    assert commute_multiplier(600, p) == pytest.approx(1.8)
    assert commute_multiplier(2400, p) == pytest.approx(1.8)
    assert commute_multiplier(2700, p) == pytest.approx(1.4)
    assert commute_multiplier(3100, p) == 1.0
    assert commute_peak_stage(600, p) == Stage(users=18, spawn_rate=10.0)
    assert commute_peak_stage(4000, p) is None


def test_settings_parse_and_name_bad_variables() -> None:
    assert parse_weights("us-east-1=0.5, eu-west-1=0.5", "X") == {"us-east-1": 0.5, "eu-west-1": 0.5}
    with pytest.raises(SettingsError, match="REELOPS_REGIONS: unknown regions"):
        read_settings({"REELOPS_REGIONS": "mars-1=1"})
    with pytest.raises(SettingsError, match="REELOPS_SPEED: expected a number"):
        read_settings({"REELOPS_SPEED": "fast"})
    s = read_settings({"REELOPS_SPEED": "10", "REELOPS_BASE_USERS": "7"})
    assert (s.speed, s.base_users) == (10.0, 7)
    assert s.regions["us-east-1"] == pytest.approx(0.33)  # from the platform model


SHAPE_CHECK = """
from loadtests.shapes import ViralSurgeShape, CommutePeakShape
import loadtests.shapes as shapes
class Clock(ViralSurgeShape):
    t = 0.0
    def get_run_time(self):
        return self.t
s = Clock()
for t in (0, 13, 25, 90):
    s.t = t
    print(t, s.tick())
"""


def test_shapes_delegate_to_stages_with_scaled_time() -> None:
    """Locust monkey-patches on import: the shape class is exercised in its own interpreter."""
    env = {
        **os.environ,
        "REELOPS_SPEED": "10",
        "REELOPS_BASE_USERS": "5",
        "REELOPS_SURGE_AT_S": "120",
        "REELOPS_DURATION_S": "900",
    }
    out = subprocess.run([sys.executable, "-c", SHAPE_CHECK], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == ["0 (5, 5.0)", "13 (60, 10.0)", "25 (40, 10.0)", "90 None"]


def test_region_picker_keeps_every_window_at_the_traffic_shares() -> None:
    from loadtests.regions import RegionPicker

    picker = RegionPicker({"us-east-1": 0.33, "eu-west-1": 0.20, "ap-southeast-1": 0.47})
    picks = [picker.pick() for _ in range(300)]
    for start in range(0, 300, 100):
        window = picks[start : start + 100]
        assert abs(window.count("us-east-1") - 33) <= 1
        assert abs(window.count("eu-west-1") - 20) <= 1


def test_region_picker_rejects_empty_or_negative_weights() -> None:
    import pytest

    from loadtests.regions import RegionPicker

    with pytest.raises(ValueError, match="region weights"):
        RegionPicker({})
    with pytest.raises(ValueError, match="region weights"):
        RegionPicker({"us-east-1": -1.0})
