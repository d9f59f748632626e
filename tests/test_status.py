"""`ops status` against the sandbox's HTTP API (docs/contracts.md section 4).

The sandbox's own server (``sandbox.serving.SandboxServer``) is used where it speaks: SLO signals,
queues, spend, faults. The controllers and the breaker export their series elsewhere (their own
``/metrics``, the breaker's state file), so the troubled-platform cases serve those series from a
loopback server whose ``/metrics`` is rendered by the real exporters (the controllers runtime's
``ControllerMetrics`` and prometheus_client gauges named from ``ports/metrics.py``), with an audit
log written by the runtime's ``AuditLog`` and a breaker file written by ``FileBreakerStore``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from typer.testing import CliRunner

from cli.main import app
from controllers.breaker.adapters import FileBreakerStore
from controllers.breaker.models import BreakerMemory, BreakerState, Override
from controllers.runtime.auditing import AuditLog, AuditRecord, Outcome
from controllers.runtime.exporting import ControllerMetrics
from ports.metrics import METRICS_BY_NAME
from runbooks.sources import SandboxSource, gather_snapshot
from sandbox.live import LiveSandbox
from sandbox.running import build_sandbox, resolve_strategy
from sandbox.serving import SandboxServer
from tests.loopback import QuietHandler, serve

MODEL_TIME = 10_000.0


def contract_gauge(name: str, registry: CollectorRegistry) -> Gauge:
    spec = METRICS_BY_NAME[name]
    return Gauge(name, spec.help, list(spec.labels), registry=registry)


def render_metrics(breaker: str, queue_us: float, predictive_age_s: float) -> bytes:
    controllers = ControllerMetrics()
    controllers.mark_success("router", MODEL_TIME - 10)
    controllers.mark_success("predictive", MODEL_TIME - predictive_age_s)
    controllers.count_decision("router", "route_home", "home_below_limit")
    controllers.count_error("predictive", "apply")
    reg = controllers.registry
    state = contract_gauge("reelops_breaker_state", reg)
    for s in ("closed", "warn", "page", "open", "half_open"):
        state.labels(state=s).set(1 if s == breaker else 0)
    queue = contract_gauge("reelops_encode_queue_depth", reg)
    queue.labels(pool="us-east-1-gpu", region="us-east-1", jurisdiction="US").set(queue_us)
    queue.labels(pool="eu-west-1-gpu", region="eu-west-1", jurisdiction="EU").set(20)
    contract_gauge("reelops_write_buffer_depth", reg).labels(region="us-east-1").set(1200)
    spend = Counter("reelops_spend_usd", "spend", ["cost_center"], registry=reg)
    spend.labels(cost_center="cdn").inc(9000)
    spend.labels(cost_center="encoding").inc(700)
    contract_gauge("reelops_projected_daily_spend_usd", reg).set(13_500)
    return generate_latest(reg)


def flat(text: str) -> str:
    """Screen text with rich's line wrapping undone."""
    return " ".join(text.split())


def signal(region: str, value: float) -> dict[str, Any]:
    return {"labels": {"region": region}, "value": value, "timestamp": MODEL_TIME}


class FakeSandbox(QuietHandler):
    routes: dict[str, Any] = {}

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.reply(200, body if isinstance(body, bytes) else json.dumps(body).encode())


def serve_routes(routes: dict[str, Any]) -> AbstractContextManager[str]:
    """A fake ``ops sandbox serve`` answering ``routes`` (path -> JSON or bytes)."""
    return serve(type("Handler", (FakeSandbox,), {"routes": routes}))


def routes_for(
    breaker: str = "page", queue_us: float = 650, p95_us: float = 420, fail_us: float = 5e-4, stale_s: float = 300
) -> dict[str, Any]:
    """A troubled platform by default: predictive 300 s behind (a GPU start is 180 s), queue over 500."""
    return {
        "/healthz": {"ok": True, "model_time": MODEL_TIME},
        "/metrics": render_metrics(breaker, queue_us, stale_s),
        "/admin/signals/video_start_failure_ratio": [signal("us-east-1", fail_us), signal("eu-west-1", 0.0)],
        "/admin/signals/video_start_p95_ms": [signal("us-east-1", p95_us), signal("eu-west-1", 180.0)],
        "/admin/faults": [{"kind": "region_down", "target": "us-east-1", "severity": 1.0}],
    }


@pytest.fixture(autouse=True)
def no_local_breaker_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ops status` reads `ops breaker`'s state file by default; keep the developer's own out of tests."""
    monkeypatch.setenv("REELOPS_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def troubled() -> Iterator[str]:
    with serve_routes(routes_for()) as url:
        yield url


@pytest.fixture
def audit_log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for at, action in ((MODEL_TIME - 70, "scale_out"), (MODEL_TIME - 10, "route_overflow"), (MODEL_TIME, "noop")):
        decision = {"controller": "router", "action": action, "reason": "home_saturated", "at": at, "details": {}}
        outcome = Outcome.NOOP if action == "noop" else Outcome.APPLIED
        log.write(AuditRecord(at=at, controller="router", outcome=outcome, decision=decision))
    return path


def test_snapshot_reads_every_section(troubled: str, audit_log: Path) -> None:
    snap = gather_snapshot(SandboxSource(troubled), audit_log)
    assert snap.model_time == MODEL_TIME
    controllers = {c.name: c for c in snap.controllers or ()}
    assert controllers["router"].healthy and controllers["router"].last_action == "route_overflow"
    assert not controllers["predictive"].healthy and controllers["predictive"].errors == {"apply": 1.0}
    assert snap.breaker is not None and snap.breaker.state == "page"
    assert snap.breaker.spend_today_usd == 9700 and snap.breaker.page_usd == 12_000
    queues = {q.name: q for q in snap.queues or ()}
    assert queues["us-east-1-gpu"].over and queues["us-east-1-gpu"].limit == 500
    assert not queues["eu-west-1-gpu"].over and queues["write-buffer us-east-1"].limit == 10_000
    slos = {(s.name, s.scope): s for s in snap.slos or ()}
    assert slos[("availability", "us-east-1")].burn_rate == pytest.approx(5.0)
    assert slos[("availability", "us-east-1")].ok is False and slos[("availability", "eu-west-1")].ok is True
    assert slos[("video_start_p95_ms", "us-east-1")].ok is False
    assert any("upload_to_live_p95_s" in n for n in snap.notes)
    assert snap.faults == ({"kind": "region_down", "target": "us-east-1", "severity": 1.0},)


def test_status_screen_names_the_problems_and_exits_1(troubled: str, audit_log: Path) -> None:
    result = CliRunner().invoke(app, ["status", "--sandbox", troubled, "--audit", str(audit_log)])
    assert result.exit_code == 1, result.output
    for text in (
        "needs action",
        "controller predictive unhealthy",
        "queue us-east-1-gpu above 500",
        "SLO availability (us-east-1) breached",
        "route_overflow",
        "region_down on us-east-1",
        "prod-eu",
    ):
        assert text in flat(result.stdout), text


def test_status_finds_the_controllers_audit_log_where_they_write_it(troubled: str, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "state" / "controllers-audit.jsonl")  # REELOPS_STATE_DIR (autouse fixture)
    decision = {"controller": "router", "action": "rate_limit", "reason": "both_saturated", "at": MODEL_TIME}
    log.write(AuditRecord(at=MODEL_TIME, controller="router", outcome=Outcome.DRY_RUN, decision=decision))
    result = CliRunner().invoke(app, ["status", "--sandbox", troubled, "--json"])
    (router,) = [c for c in json.loads(result.stdout)["controllers"] if c["name"] == "router"]
    assert (router["last_action"], router["last_reason"], router["last_outcome"]) == (
        "rate_limit",
        "both_saturated",
        "dry_run",
    )


def test_status_json_is_the_snapshot(troubled: str) -> None:
    result = CliRunner().invoke(app, ["status", "--sandbox", troubled, "--json"])
    data = json.loads(result.stdout)
    assert data["breaker"]["state"] == "page" and "budget breaker open" not in data["problems"]
    assert {s["name"] for s in data["stacks"]} >= {"prod-us", "prod-eu", "prod-apac", "prod-global"}


def test_healthy_sandbox_exits_0() -> None:
    with serve_routes(routes_for(breaker="closed", queue_us=100, p95_us=250, fail_us=0.0, stale_s=60)) as url:
        assert gather_snapshot(SandboxSource(url), None).problems == []
        result = CliRunner().invoke(app, ["status", "--sandbox", url])
        assert result.exit_code == 0, result.output
        assert "nothing needs action" in result.stdout


def test_open_breaker_is_a_problem() -> None:
    with serve_routes(routes_for(breaker="open")) as url:
        assert "budget breaker open" in gather_snapshot(SandboxSource(url), None).problems


def test_unreachable_sandbox_degrades_to_not_available(tmp_path: Path) -> None:
    with serve_routes({}) as url:
        dead = url  # the server is shut down after this loop: nothing listens on the port
    result = CliRunner().invoke(app, ["status", "--sandbox", dead, "--audit", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("not available") >= 5
    assert "prod-global" in result.stdout and "not found" in flat(result.stdout)


def test_breaker_from_its_state_file_when_the_sandbox_is_down(tmp_path: Path) -> None:
    path = tmp_path / "breaker.json"
    override = Override(state=BreakerState.OPEN, until=None, reason="runaway GPU fleet", by="oncall")
    memory = BreakerMemory(
        state=BreakerState.OPEN, applied=("pause_backlog_encodes", "sample_analytics"), override=override
    )
    FileBreakerStore(path).save(memory, dry_run=False)
    with serve_routes({}) as url:
        dead = url
    result = CliRunner().invoke(app, ["status", "--sandbox", dead, "--breaker-state-file", str(path)])
    assert result.exit_code == 1, result.output
    screen = flat(result.stdout)
    assert "budget breaker open" in screen and "(from state file)" in screen
    assert "pause_backlog_encodes, sample_analytics" in screen and "runaway GPU fleet" in screen


# --- against the sandbox's own HTTP server -------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    sb = build_sandbox("regional-failure", seed=9)
    with SandboxServer(LiveSandbox(sb, resolve_strategy("none"), speed=60.0), port=0) as srv:
        yield srv


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def wait_for_problem(url: str, problem: str, timeout_s: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        problems = gather_snapshot(SandboxSource(url), None).problems
        if problem in problems:
            return problems
        time.sleep(0.5)
    pytest.fail(f"`{problem}` not reported within {timeout_s} s")


def test_status_on_the_real_sandbox_sees_a_region_go_down(sandbox_server: SandboxServer) -> None:
    healthy = gather_snapshot(SandboxSource(sandbox_server.url), None)
    assert healthy.model_time is not None and healthy.faults == ()
    pools = {q.name: q for q in healthy.queues or () if q.kind == "encode"}
    assert pools["eu-west-1-gpu"].limit == 500 and len(pools) == 6
    assert {s.scope for s in healthy.slos or () if s.name == "availability"} >= {"us-east-1", "eu-west-1"}
    assert healthy.controllers == () and healthy.breaker is not None and healthy.breaker.spend_today_usd

    post(f"{sandbox_server.url}/admin/faults", {"kind": "region_down", "target": "us-east-1"})
    wait_for_problem(sandbox_server.url, "SLO availability (us-east-1) breached")
    result = CliRunner().invoke(app, ["status", "--sandbox", sandbox_server.url])
    assert result.exit_code == 1, result.output
    assert "region_down on us-east-1" in flat(result.stdout)


def test_status_merges_the_controllers_own_metrics(sandbox_server: SandboxServer) -> None:
    controllers = ControllerMetrics()
    controllers.mark_success("pool-scaler", gather_snapshot(SandboxSource(sandbox_server.url), None).model_time or 0)
    controllers.count_decision("pool-scaler", "scale_out", "queue_above_100")
    with serve_routes({"/metrics": controllers.render()}) as url:
        snap = gather_snapshot(SandboxSource(sandbox_server.url), None, controllers=SandboxSource(url))
        (row,) = snap.controllers or ()
        assert row.name == "pool-scaler" and row.healthy and row.decisions == 1


def test_audit_only_controllers_are_not_judged_without_metrics(audit_log: Path) -> None:
    with serve_routes({}) as url:
        dead = url
    snap = gather_snapshot(SandboxSource(dead), audit_log)
    (router,) = snap.controllers or ()
    assert router.healthy is None and router.last_action == "route_overflow"
    assert snap.problems == []


def test_status_with_no_sandbox_running_shows_an_embedded_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import cli.status

    monkeypatch.delenv("REELOPS_SANDBOX_URL", raising=False)
    monkeypatch.setattr(cli.status, "answers", lambda url: False)  # whatever listens on 8900 here
    result = CliRunner().invoke(
        app,
        [
            "status",
            "--json",
            "--warmup-min",
            "5",
            "--audit",
            str(tmp_path / "a.jsonl"),
            "--breaker-state-file",
            str(tmp_path / "b.json"),
        ],
    )
    snapshot = json.loads(result.stdout)
    assert snapshot["source"].startswith("http://127.0.0.1:"), snapshot["source"]
    assert snapshot["model_time"] is not None
    assert any(q["name"] == "eu-west-1-gpu" for q in snapshot["queues"]), snapshot["queues"]
    assert {s["name"] for s in snapshot["slos"]} >= {"availability"}


def test_status_rejects_an_unknown_embedded_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.status

    monkeypatch.delenv("REELOPS_SANDBOX_URL", raising=False)
    monkeypatch.setattr(cli.status, "answers", lambda url: False)
    result = CliRunner().invoke(app, ["status", "--embedded", "no-such-scenario"])
    assert result.exit_code == 2
    assert "--embedded" in result.stderr
