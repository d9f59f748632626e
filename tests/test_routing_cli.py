"""`ops bench router` and `ops route explain` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_bench_router_prints_decisions_per_second_as_json() -> None:
    result = runner.invoke(app, ["bench", "router", "--json", "--decisions", "2000"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decisions_per_s"] > 0


def test_bench_router_rejects_a_tiny_sample() -> None:
    result = runner.invoke(app, ["bench", "router", "--decisions", "5"])
    assert result.exit_code == 2


def test_route_explain_against_the_embedded_sandbox_as_json() -> None:
    result = runner.invoke(app, ["route", "explain", "--jurisdiction", "EU", "--size-mb", "80", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    decision = report["decision"]
    assert (decision["action"], decision["reason"], decision["pool"]) == (
        "home",
        "home_below_depth_limit",
        "eu-west-1-gpu",
    )
    assert decision["expected_upload_to_live_s"] > 0
    assert report["allowed_regions"] == ["eu-central-1", "eu-west-1"]
    assert [p["pool"] for p in report["pools"]] == ["eu-west-1-gpu", "eu-central-1-gpu"]


def test_route_explain_in_the_saturday_peak_overflows_inside_the_eu() -> None:
    args = ["route", "explain", "--jurisdiction", "EU", "--scenario", "saturday-upload-peak", "--at-s", "9000"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "overflow eu-central-1-gpu" in result.stdout and "us-" not in result.stdout


def test_route_explain_reads_a_served_sandbox() -> None:
    from sandbox.live import LiveSandbox
    from sandbox.running import build_sandbox, resolve_strategy
    from sandbox.serving import SandboxServer

    live = LiveSandbox(build_sandbox("normal-day"), resolve_strategy("none"), speed=1.0)
    with SandboxServer(live, port=0) as server:
        args = ["route", "explain", "--jurisdiction", "APAC", "--sandbox-url", server.url, "--json"]
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decision"]["region"] in ("ap-southeast-1", "ap-northeast-1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--jurisdiction", "MARS"], "--jurisdiction: expected one of", id="unknown-jurisdiction"),
        pytest.param(["--jurisdiction", "EU", "--size-mb", "600"], "--size-mb", id="oversize-upload"),
        pytest.param(["--jurisdiction", "EU", "--scenario", "nope"], "unknown scenario", id="unknown-scenario"),
        pytest.param(["--jurisdiction", "EU", "--sandbox-url", "http://127.0.0.1:9"], "--sandbox-url", id="dead-url"),
    ],
)
def test_route_explain_rejects_bad_input_with_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["route", "explain", *args])
    assert result.exit_code == 2
    assert message in result.output
