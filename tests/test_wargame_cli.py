"""`ops wargame` input handling: list, and exit 2 with a named argument on bad input (nothing runs)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_list_names_the_four_wargames_as_json() -> None:
    result = runner.invoke(app, ["wargame", "list", "--json"])
    assert result.exit_code == 0, result.output
    names = [g["name"] for g in json.loads(result.stdout)["wargames"]]
    assert names == ["regional-failure", "origin-failure", "viral-surge", "az-failure-during-surge"]


def test_unknown_wargame_exits_2_naming_it() -> None:
    result = runner.invoke(app, ["wargame", "run", "meteor-strike"])
    assert result.exit_code == 2
    assert "unknown war game 'meteor-strike'" in result.output


def test_scenario_and_all_are_exclusive() -> None:
    assert runner.invoke(app, ["wargame", "run"]).exit_code == 2
    assert runner.invoke(app, ["wargame", "run", "viral-surge", "--all"]).exit_code == 2


def test_backend_and_speed_are_checked() -> None:
    result = runner.invoke(app, ["wargame", "run", "viral-surge", "--backend", "aws"])
    assert result.exit_code == 2 and "--backend" in result.output
    result = runner.invoke(app, ["wargame", "run", "viral-surge", "--speed", "0"])
    assert result.exit_code == 2 and "--speed" in result.output
