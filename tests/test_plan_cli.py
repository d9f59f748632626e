"""`ops plan` end to end: exit codes, the documented JSON object, --config, and runtime isolation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from stacks.loading import load_platform
from stacks.planning import PlanResult, plan_stack
from tests.planned_stacks import planned

runner = CliRunner()


def write_eu_variant(tmp_path: Path, **edit: object) -> Path:
    data = yaml.safe_load(Path("stacks/Pulumi.prod-eu.yaml").read_text())
    data["config"]["reelops:platform"].update(edit)
    path = tmp_path / "Pulumi.prod-eu-try.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_plan_json_prints_exactly_the_documented_object() -> None:
    result = runner.invoke(app, ["plan", "--stack", "prod-eu", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert set(plan) == {"stack", "resources", "violations"}
    assert plan["stack"] == "prod-eu" and plan["violations"] == []
    assert len(plan["resources"]) > 50
    assert all(set(r) == {"type", "name", "parent", "region", "inputs"} for r in plan["resources"])
    regional = {r["region"] for r in plan["resources"] if r["region"]}
    assert regional == {"eu-west-1", "eu-central-1"}


def test_plan_tree_groups_by_component_and_reports_clean_pack() -> None:
    result = runner.invoke(app, ["plan", "--stack", "prod-us"])
    assert result.exit_code == 0, result.output
    assert "GpuEncodePool us-east-1-gpu" in result.stdout
    assert "DataPlane prod-us-data" in result.stdout
    assert "0 violations" in result.stdout


def test_eu_config_with_us_overflow_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    path = write_eu_variant(tmp_path, overflow_region="us-west-2")
    result = runner.invoke(app, ["plan", "--config", str(path)])
    assert result.exit_code == 2
    message = result.stderr.replace("\n", "")
    assert str(path) in message and "reelops:platform.overflow_region" in message


def test_config_path_plans_a_stack_file_from_anywhere(tmp_path: Path) -> None:
    path = write_eu_variant(tmp_path, tenants=[{"id": "default", "name": "Default"}, {"id": "uni", "name": "Uni"}])
    result = runner.invoke(app, ["plan", "--config", str(path), "--json"])
    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)["resources"]}
    assert "prod-eu-try-data-tenant-uni" in names


def test_missing_stack_and_config_is_invalid_input() -> None:
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 2


def test_unknown_stack_is_invalid_input() -> None:
    result = runner.invoke(app, ["plan", "--stack", "prod-mars"])
    assert result.exit_code == 2
    assert "Pulumi.prod-mars.yaml" in result.stderr


def fingerprint(plan: PlanResult) -> set[tuple[str, str, str | None, str]]:
    return {(r.type, r.name, r.region, json.dumps(r.inputs, sort_keys=True)) for r in plan.resources}


@pytest.mark.parametrize("first", ["prod-us", "prod-global"])
def test_runtime_state_is_reset_between_plans_in_one_process(first: str) -> None:
    eu_before = planned("prod-eu")
    other = plan_stack(load_platform(first))
    eu_after = plan_stack(load_platform("prod-eu"))
    assert eu_before.resources and fingerprint(eu_after) == fingerprint(eu_before)
    assert all(r.urn.startswith("urn:pulumi:prod-eu::") for r in eu_after.resources)
    assert not {r.name for r in eu_after.resources} & {r.name for r in other.resources if r.custom}


def test_all_prod_plans_the_four_prod_stacks_in_one_process() -> None:
    result = runner.invoke(app, ["plan", "--all-prod", "--json"])
    assert result.exit_code == 0, result.output
    plans = json.loads(result.stdout)
    assert [p["stack"] for p in plans] == ["prod-us", "prod-eu", "prod-apac", "prod-global"]
    assert all(p["resources"] and p["violations"] == [] for p in plans)
    assert runner.invoke(app, ["plan", "--all-prod", "--stack", "prod-eu"]).exit_code == 2
