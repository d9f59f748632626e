"""The sandbox over HTTP on loopback (contracts section 4), exercised with real requests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ports.metrics import METRICS
from sandbox.live import LiveSandbox
from sandbox.running import build_sandbox, resolve_strategy
from sandbox.serving import SandboxServer
from tests.conftest import free_port


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    sb = build_sandbox("regional-failure", seed=9)
    with SandboxServer(LiveSandbox(sb, resolve_strategy("none"), speed=60.0), port=0) as srv:
        yield srv


def call(srv: SandboxServer, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(srv.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw, status, headers = exc.read(), exc.code, dict(exc.headers)
    text = raw.decode()
    return status, (json.loads(text) if text.startswith(("{", "[")) else text), headers


def test_metrics_export_exactly_the_contract_names(server: SandboxServer) -> None:
    status, text, headers = call(server, "GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    typed = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    expected = {m.name.removesuffix("_total") for m in METRICS}
    assert {t.removesuffix("_total") for t in typed} == expected
    assert 'reelops_video_starts_total{region="us-east-1"}' in text


def test_healthz_reports_model_time_moving_faster_than_wall_time(server: SandboxServer) -> None:
    _, first, _ = call(server, "GET", "/healthz")
    time.sleep(0.5)
    _, second, _ = call(server, "GET", "/healthz")
    assert first["ok"] is True
    assert second["model_time"] - first["model_time"] >= 10  # speed 60: ~30 model seconds


def test_video_start_answers_then_fails_when_the_region_is_down(server: SandboxServer) -> None:
    status, body, _ = call(
        server, "POST", "/edge/video-start", {"region": "us-east-1", "user_id": "u", "video_id": "v"}
    )
    assert status == 200 and body["served_by"] == "us-east-1" and 20 < body["latency_ms"] < 2000
    status, fault, _ = call(server, "POST", "/admin/faults", {"kind": "region_down", "target": "us-east-1"})
    assert status == 200
    status, _, _ = call(server, "POST", "/edge/video-start", {"region": "us-east-1", "user_id": "u", "video_id": "v"})
    assert status == 503
    _, listed, _ = call(server, "GET", "/admin/faults")
    assert [f["id"] for f in listed] == [fault["id"]]
    assert call(server, "DELETE", f"/admin/faults/{fault['id']}")[0] == 200
    assert call(server, "GET", "/admin/faults")[1] == []
    assert call(server, "DELETE", "/admin/faults/nope")[0] == 404


def test_writes_are_stored_or_buffered_and_reconciled(server: SandboxServer) -> None:
    status, _, _ = call(
        server, "POST", "/edge/write", {"id": "w1", "user_id": "u", "kind": "view", "region": "eu-west-1"}
    )
    assert status == 200
    assert call(server, "POST", "/admin/mitigations", {"write_buffer": True})[1]["write_buffer"] is True
    status, _, _ = call(
        server, "POST", "/edge/write", {"id": "w2", "user_id": "u", "kind": "ml", "region": "eu-west-1"}
    )
    assert status == 202
    _, rec, _ = call(server, "POST", "/admin/writes/reconcile", {"ids": ["w1", "w2", "w3"]})
    assert rec["missing"] == ["w3"] and rec["stored"] + rec["buffered"] == 2
    deadline = time.monotonic() + 10
    while rec["buffered"] and time.monotonic() < deadline:
        time.sleep(0.2)
        _, rec, _ = call(server, "POST", "/admin/writes/reconcile", {"ids": ["w1", "w2"]})
    assert rec["stored"] == 2
    assert call(server, "POST", "/edge/write", {"id": "w4", "kind": "gossip", "region": "eu-west-1"})[0] == 400


def test_upload_is_routed_inside_its_jurisdiction(server: SandboxServer) -> None:
    status, body, _ = call(server, "POST", "/edge/upload", {"jurisdiction": "EU", "creator_id": "c", "size_mb": 40})
    assert status == 202 and body["region"] in ("eu-west-1", "eu-central-1") and body["eta_s"] >= 20
    assert call(server, "POST", "/edge/upload", {"jurisdiction": "EU", "creator_id": "c", "size_mb": 900})[0] == 400


def test_admin_state_outcome_and_signals(server: SandboxServer) -> None:
    time.sleep(0.3)
    _, state, _ = call(server, "GET", "/admin/state")
    assert {r["region"] for r in state["regions"]} >= {"us-east-1", "eu-west-1"} and state["pools"] and state["tables"]
    _, outcome, _ = call(server, "GET", "/admin/outcome")
    assert "throttled_writes" in outcome and outcome["video_starts"] > 0
    _, sig, _ = call(server, "GET", "/admin/signals/video_starts_per_min?region=eu-west-1")
    assert [s["labels"] for s in sig] == [{"region": "eu-west-1"}]  # a bare list, as contracts section 4
    assert call(server, "GET", "/admin/signals/astrology")[0] == 400
    assert call(server, "POST", "/admin/faults", {"kind": "region_down", "target": "mars-1"})[0] == 400


def test_ops_sandbox_serve_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    args = ["serve", "regional-failure", "--port", str(port), "--speed", "10"]
    proc = subprocess.Popen(  # the `ops sandbox` sub-app alone: the full CLI imports every area
        [sys.executable, "-c", f"from cli.sandbox import app; app({args!r})"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    assert json.loads(resp.read())["ok"] is True
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not come up")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serving_in_background_starts_from_the_current_model_time() -> None:
    from sandbox.running import drive
    from sandbox.serving import serve_in_background

    sb = build_sandbox("regional-failure", seed=9)
    drive(sb, resolve_strategy("none"), until_tick=120)  # fast-forward 10 model minutes
    srv = serve_in_background(sb, port=0, speed=60.0)
    try:
        time.sleep(0.5)
        _, health, _ = call(srv, "GET", "/healthz")
        assert health["model_time"] - sb.start_epoch > 600 + 10
    finally:
        srv.stop()
    with pytest.raises(ValueError, match="loopback"):
        serve_in_background(sb, host="0.0.0.0")


def test_served_model_time_goes_on_past_the_scenario_end() -> None:
    from sandbox.scenarios import load_scenario
    from sandbox.serving import serve_in_background

    sb = build_sandbox(load_scenario("regional-failure").model_copy(update={"duration_s": 60.0}), seed=9)
    srv = serve_in_background(sb, port=0, speed=600.0)
    try:
        deadline = time.monotonic() + 20
        while sb.now <= 120 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sb.now > 120 and sb.done
        assert call(srv, "GET", "/admin/state")[1]["done"] is True
    finally:
        srv.stop()


def test_a_client_hanging_up_is_not_an_error(server: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        body = b'{"region": "eu-west-1", "user_id": "u", "video_id": "v"}'
        head = f"POST /edge/video-start HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        sock.sendall(head + body)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    time.sleep(0.5)  # the answer (delayed by the modelled latency) now meets a closed socket
    assert "Traceback" not in capsys.readouterr().err
    assert call(server, "GET", "/healthz")[0] == 200
