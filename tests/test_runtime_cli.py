"""`ops controllers run` and `ops forecast show` through the CLI, on the sandbox and on dead AWS endpoints."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from controllers.runtime.auditing import Outcome, read_audit
from tests.conftest import free_port

runner = CliRunner()


def test_run_on_the_sandbox_dry_run_audits_every_reconcile(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(
        app,
        [
            "controllers",
            "run",
            "--only",
            "predictive",
            "--iterations",
            "30",
            "--dry-run",
            "--audit",
            str(audit),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reconciles"] == 30 and summary["dry_run"] is True
    records = list(read_audit(audit))
    assert len(records) == 30 and {r.controller for r in records} == {"predictive"}
    assert Outcome.APPLIED not in {r.outcome for r in records}, "dry-run never applies"
    assert Outcome.DRY_RUN in {r.outcome for r in records}, "the cascade makes it want to pre-warm"
    shown = runner.invoke(app, ["forecast", "show", "--audit", str(audit), "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["decisions"] == 30 and {f["video_id"] for f in report["forecasts"]} >= {"v-viral"}


def test_run_against_dead_backends_holds_and_keeps_going(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    dead = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(
        app,
        [
            "controllers",
            "run",
            "--backend",
            "aws",
            "--only",
            "predictive",
            "--iterations",
            "2",
            "--interval-s",
            "1",
            "--prometheus-url",
            dead,
            "--aws-endpoint-url",
            dead,
            "--audit",
            str(audit),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    records = list(read_audit(audit))
    assert [r.outcome for r in records] == [Outcome.HELD, Outcome.HELD]
    assert all(r.stage == "observe" and (r.error or "").startswith("PortError") for r in records)


def test_shadow_mode_forecasts_without_changing_anything(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    args = ["controllers", "run", "--only", "predictive", "--iterations", "40", "--shadow", "--audit", str(audit)]
    assert runner.invoke(app, args).exit_code == 0
    records = list(read_audit(audit))
    assert {r.outcome for r in records} == {Outcome.NOOP}
    reasons = {r.decision["reason"] for r in records if r.decision}
    assert "shadow" in reasons, reasons
    assert any(r.decision and r.decision["held"] for r in records), "the would-be changes are reported"


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["controllers", "run", "--only", "nope"]).exit_code == 2
    assert (
        runner.invoke(
            app,
            [
                "controllers",
                "run",
                "--scenario",
                "no-such-scenario",
                "--iterations",
                "1",
                "--audit",
                str(tmp_path / "a.jsonl"),
            ],
        ).exit_code
        == 2
    )
    missing = runner.invoke(app, ["forecast", "show", "--audit", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "not found" in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    broken = runner.invoke(app, ["forecast", "show", "--audit", str(bad)])
    assert broken.exit_code == 2 and "bad.jsonl:1" in broken.stderr
