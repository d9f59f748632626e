"""End to end, for real: sandbox served on loopback, controllers, Locust in its own process, Chaos
Toolkit experiment, judgement and report. Two runs only (slow): one mitigated war game that must pass
with 0 lost writes, one unmitigated that must fail naming its SLOs. The speed is raised to keep the
suite short where the verdict does not hang on fine timing (the unmitigated run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def run_wargame(args: list[str]) -> tuple[int, dict[str, object], str]:
    result = runner.invoke(app, ["wargame", "run", *args, "--json"])
    payload = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, payload, result.output


def test_regional_failure_passes_with_controllers_and_mitigations(tmp_path: Path) -> None:
    code, data, output = run_wargame(["regional-failure", "--report", str(tmp_path)])
    assert code == 0, output
    assert data["verdict"] == "pass" and data["lost_writes"] == 0
    assert [p["name"] for p in data["phases"]] == ["baseline", "injection", "recovery"]  # type: ignore[index]
    assert isinstance(data["recovery_time_s"], float) and data["recovery_time_s"] <= 40  # DNS failover ~30 s
    assert data["unmitigated_dollars_at_risk"] > data["dollars_at_risk"]  # type: ignore[operator]
    locust = data["locust"]
    assert isinstance(locust, dict) and locust["requests"] > 500
    for name in ("journal.json", "summary.md", "report.html", "locust/locust_stats.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "completed" and [r["status"] for r in journal["rollbacks"]] == ["succeeded"]
    controllers, platform = data["controllers"], data["platform"]
    assert isinstance(controllers, dict) and isinstance(platform, dict)
    assert controllers["router_installed"] and controllers["router_decisions"] > 0, "the router decided the uploads"
    assert controllers["warm_requests"] == controllers["encodes_completed"] > 0, "the warmer warmed completions"
    assert "budget-breaker" in controllers["controllers"] and "predictive" in controllers["controllers"]
    assert platform["cross_jurisdiction_routes"] == 0 and platform["jurisdiction_guard_trips"] == 0
    assert "| cross-jurisdiction routes | 0 " in (tmp_path / "summary.md").read_text()
    calibration = data["calibration"]
    assert isinstance(calibration, dict) and calibration["within_tolerance"], calibration
    assert calibration["sandbox_user_perceived_failures"] == pytest.approx(3_712, rel=0.02)  # SPEC 8 scenario 1
    assert 0 < calibration["measured_session_failure_ratio"] < 0.05, "users fail only in the failover window"


def test_viral_surge_unmitigated_fails_naming_the_slos(tmp_path: Path) -> None:
    result = runner.invoke(app, ["wargame", "run", "viral-surge", "--unmitigated", "--speed", "20",
                                 "--report", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "SLOs broken:" in result.output and "lost_writes" in result.output
    assert "FAIL" in (tmp_path / "summary.md").read_text()
