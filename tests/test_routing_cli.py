"""`ops bench router` and `ops route explain` through typer's CliRunner."""

from __future__ import annotations

import json

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
