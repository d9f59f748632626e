"""Scenario files: every shipped one loads, bad ones fail naming file and key, runs are deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from sandbox.running import run_scenario
from sandbox.scenarios import ScenarioError, list_scenarios, load_scenario

SHIPPED = ("normal-day", "viral-surge", "regional-failure", "origin-failure", "az-failure-during-surge",
           "saturday-upload-peak")  # fmt: skip


def test_every_contract_scenario_ships_and_loads() -> None:
    assert set(SHIPPED) <= set(list_scenarios())
    for name in SHIPPED:
        assert load_scenario(name).name == name


def write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def base() -> dict[str, object]:
    return yaml.safe_load((Path("sandbox/scenarios/regional-failure.yaml")).read_text())


@pytest.mark.parametrize(
    ("patch", "key", "expected"),
    [
        ({"tick_s": 7}, "tick_s", "must divide 60"),
        ({"surprise": 1}, "surprise", "unknown key"),
        ({"mitigations": {"standby": "maybe"}}, "mitigations.standby", "boolean"),
        ({"faults": [{"at_s": 1, "kind": "meteor", "target": "us-east-1"}]}, "faults[0].kind", "meteor"),
        ({"surge": {"start_s": 0, "window_s": 120, "writes": [2, -1]}}, "surge", ">= 0"),
        ({"duration_s": None}, "duration_s", "number"),
        ({"faults": [{"at_s": 99999, "kind": "region_down", "target": "us-east-1"}]}, "faults[0].at_s", "before"),
        ({"report": ["happiness"]}, "report", "happiness"),
        ({"surge": {"window_s": 120, "writes": [2]}}, "surge", "exactly one of start_s"),
        (
            {"surge": {"trigger": {"video_id": "v-nope", "views_per_hour": 5000}, "window_s": 120, "writes": [2]}},
            "surge.trigger.video_id",
            "'v-nope' is not one of social.videos",
        ),
    ],
    ids=[
        "tick",
        "unknown-key",
        "bad-switch",
        "unknown-fault-kind",
        "negative-surge",
        "null",
        "late-fault",
        "report",
        "surge-neither-start-nor-trigger",
        "trigger-unknown-video",
    ],
)
def test_invalid_scenario_names_file_and_key(tmp_path: Path, patch: dict[str, object], key: str, expected: str) -> None:
    path = write(tmp_path, {**base(), **patch})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert expected in info.value.message


def test_unknown_fault_target_is_named_when_the_sandbox_is_built(tmp_path: Path) -> None:
    path = write(tmp_path, {**base(), "faults": [{"at_s": 1, "kind": "region_down", "target": "mars-north-1"}]})
    with pytest.raises(ScenarioError) as info:
        run_scenario(load_scenario(path), "none", seed=0)
    assert (info.value.file, info.value.key) == (str(path), "faults[0].target")
    assert "mars-north-1" in info.value.message


def test_cli_exits_2_on_an_invalid_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, {**base(), "tick_s": 7})
    result = CliRunner().invoke(app, ["sandbox", "run", str(path), "--json"])
    assert result.exit_code == 2
    assert "tick_s" in result.output


def test_cli_exits_2_on_an_unknown_strategy() -> None:
    result = CliRunner().invoke(app, ["sandbox", "run", "regional-failure", "--strategy", "psychic"])
    assert result.exit_code == 2


def run_json(seed: int) -> str:
    result = CliRunner().invoke(
        app, ["sandbox", "run", "regional-failure", "--seed", str(seed), "--strategy", "reactive", "--json"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_same_seed_gives_byte_identical_json_and_another_seed_differs() -> None:
    first, again, other = run_json(11), run_json(11), run_json(12)
    assert first == again
    assert json.loads(first)["uploads"] != json.loads(other)["uploads"]
    assert json.loads(first)["scenario"] == "regional-failure"
