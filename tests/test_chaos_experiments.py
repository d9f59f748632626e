"""The Chaos Toolkit experiments and the extension: valid for chaoslib, rollbacks always, discoverable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chaoslib.exceptions import ActivityFailed, InvalidActivity
from chaoslib.experiment import ensure_experiment_is_valid

import chaos
from chaos import actions, probes

EXPERIMENTS = sorted((Path(__file__).resolve().parent.parent / "chaos" / "experiments").glob("*.json"))


def test_there_is_one_experiment_per_wargame() -> None:
    assert [p.stem for p in EXPERIMENTS] == [
        "az-failure-during-surge",
        "origin-failure",
        "regional-failure",
        "viral-surge",
    ]


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_is_valid_and_always_rolls_back(path: Path) -> None:
    experiment = json.loads(path.read_text())
    ensure_experiment_is_valid(experiment)
    assert experiment["runtime"]["rollbacks"]["strategy"] == "always"
    assert [r["provider"]["func"] for r in experiment["rollbacks"]] == ["clear_faults"]
    assert any(a["provider"]["func"] == "inject_fault" for a in experiment["method"])
    names = {p["name"] for p in experiment["steady-state-hypothesis"]["probes"]}
    assert "video-start-p95-under-300ms" in names


def test_a_broken_experiment_is_refused_by_chaoslib() -> None:
    experiment = json.loads(EXPERIMENTS[0].read_text())
    experiment["method"][0]["provider"]["arguments"]["no_such_argument"] = 1
    with pytest.raises(InvalidActivity, match="no_such_argument"):
        ensure_experiment_is_valid(experiment)


def test_discover_lists_every_exported_activity() -> None:
    found = {(a["mod"], a["name"], a["type"]) for a in chaos.discover()["activities"]}
    assert ("chaos.actions", "inject_fault", "action") in found
    assert ("chaos.probes", "video_start_p95_ms", "probe") in found
    assert ("chaos.aws_adapters", "fail_health_check", "action") in found
    assert len(found) == len(actions.__all__) + len(probes.__all__) + 13


def test_bad_fault_and_target_are_named_before_any_call() -> None:
    with pytest.raises(ActivityFailed, match="invalid fault"):
        actions.inject_fault("meteor_strike", "us-east-1", configuration={"sandbox_url": "http://127.0.0.1:9"})
    with pytest.raises(ActivityFailed, match=r"configuration\.target"):
        actions.clear_faults(configuration={"target": "gcp"})
    with pytest.raises(ActivityFailed, match="unknown signal"):
        probes.read_signal("vibes", configuration={"sandbox_url": "http://127.0.0.1:9"})


def test_an_unreachable_sandbox_is_reported_with_its_url() -> None:
    with pytest.raises(ActivityFailed, match=r"http://127.0.0.1:9/admin/faults.*sandbox serve"):
        actions.inject_fault("region_down", "us-east-1", configuration={"sandbox_url": "http://127.0.0.1:9"})
