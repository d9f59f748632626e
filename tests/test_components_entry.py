"""The Pulumi entry (stacks/__main__.py) reads configuration the way the CLI hands it over.

Under mocks Pulumi does not read stack files, so the test feeds the merged ``reelops:*`` values with
``set_all_config`` (objects as JSON strings, like the CLI) and runs the entry file itself: it must
build the same resources ``ops plan`` plans from the files, and refuse invalid config naming the key.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from stacks.loading import load_platform
from stacks.planning import RecordingMonitor, reset_runtime
from tests.planned_stacks import planned


def cli_config(stack: str, **platform_edit: Any) -> dict[str, str]:
    project = yaml.safe_load(Path("Pulumi.yaml").read_text())["config"]
    values = {key: entry["value"] for key, entry in project.items()}
    stack_values = yaml.safe_load(Path(f"stacks/Pulumi.{stack}.yaml").read_text())["config"]
    values.update({k: v for k, v in stack_values.items() if k.startswith("reelops:")})
    values["reelops:platform"] = {**values["reelops:platform"], **platform_edit}
    return {key: json.dumps(value) for key, value in values.items()}


def run_entry(stack: str, config: dict[str, str]) -> RecordingMonitor:
    monitor = RecordingMonitor()
    reset_runtime(monitor, load_platform(stack))
    pulumi.runtime.set_all_config(config)
    _sync_await(run_pulumi_func(lambda: runpy.run_path("stacks/__main__.py", run_name="__main__")))
    return monitor


def test_entry_builds_what_ops_plan_plans() -> None:
    monitor = run_entry("prod-eu", cli_config("prod-eu"))
    from_entry = {(r.type, r.name) for r in monitor.registrations}
    assert len(from_entry) > 50
    assert from_entry == {(r.type, r.name) for r in planned("prod-eu").resources}


def test_entry_refuses_invalid_config_naming_the_key() -> None:
    with pytest.raises(pulumi.RunError, match=r"reelops:platform\.overflow_region"):
        run_entry("prod-eu", cli_config("prod-eu", overflow_region="us-west-2"))
