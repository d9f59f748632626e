"""HTTP on loopback for the sandbox (contracts section 4): /metrics, edge API, admin API.

A ``ThreadingHTTPServer`` bound to 127.0.0.1 answers requests from the LiveSandbox while a thread
advances model time. ``serve_forever`` runs until Ctrl-C (SIGINT) or SIGTERM and then stops both
threads cleanly; tests use :class:`SandboxServer` directly on a free port.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import ValidationError

from ports.interfaces import PortError
from sandbox.engine import Sandbox
from sandbox.exporting import build_registry, render_metrics
from sandbox.live import Answer, LiveSandbox, RequestError
from sandbox.running import Strategy

HOST = "127.0.0.1"


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a load generator stopping) is not an error worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """The HTTP server and the stepping thread around one LiveSandbox."""

    def __init__(self, live: LiveSandbox, port: int = 8900) -> None:
        self.live = live
        self.registry = build_registry(live.sb)
        handler = type("Handler", (SandboxHandler,), {"server_ref": self})
        self.httpd = QuietServer((HOST, port), handler)
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> SandboxServer:
        self.threads = [
            threading.Thread(target=self.httpd.serve_forever, name="sandbox-http", daemon=True),
            threading.Thread(target=self.live.run, args=(self.stop_event,), name="sandbox-clock", daemon=True),
        ]
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self.threads:
            t.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class SandboxHandler(BaseHTTPRequestHandler):
    """Routes of contracts section 4; JSON in and out; 400 on a bad body, 404 on an unknown path."""

    server_ref: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        try:
            body = self.read_json() if method == "POST" else {}
            answer = self.route(method, parts.path, body, query)
        except (RequestError, ValidationError, ValueError) as exc:
            answer = (400, {"error": str(exc)}, {})
        except PortError as exc:
            answer = (404, {"error": str(exc)}, {})
        if answer is not None:
            self.send_json(*answer)

    def route(self, method: str, path: str, body: Any, query: dict[str, str]) -> Answer | None:
        live = self.server_ref.live
        if (method, path) == ("GET", "/metrics"):
            with live.lock:
                payload = render_metrics(self.server_ref.registry)
            self.send_bytes(200, payload, CONTENT_TYPE_LATEST)
            return None
        if (method, path) == ("GET", "/healthz"):
            return 200, {"ok": True, "model_time": live.sb.clock.now()}, {}
        if (method, path) == ("POST", "/edge/video-start"):
            answer, delay = live.video_start(body)
            time.sleep(delay)
            return answer
        simple: dict[tuple[str, str], Callable[[], Answer]] = {
            ("POST", "/edge/upload"): lambda: live.upload(body),
            ("POST", "/edge/write"): lambda: live.write(body),
            ("GET", "/admin/state"): lambda: (200, live.state(), {}),
            ("GET", "/admin/outcome"): lambda: (200, live.outcome(), {}),
            ("POST", "/admin/faults"): lambda: (200, live.inject(body), {}),
            ("GET", "/admin/faults"): lambda: (200, live.faults(), {}),
            ("DELETE", "/admin/faults"): lambda: (200, live.clear(None), {}),
            ("POST", "/admin/writes/reconcile"): lambda: (200, live.reconcile(expect_ids(body)), {}),
            ("POST", "/admin/mitigations"): lambda: (200, live.set_mitigations(body), {}),
        }
        if (method, path) in simple:
            return simple[(method, path)]()
        if method == "GET" and path.startswith("/admin/signals/"):
            return 200, live.signals(path.rsplit("/", 1)[1], query), {}
        if method == "DELETE" and path.startswith("/admin/faults/"):
            return 200, live.clear(path.rsplit("/", 1)[1]), {}
        return 404, {"error": f"no route {method} {path}"}, {}

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            data = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            raise RequestError(f"body: expected JSON ({exc})") from None
        if not isinstance(data, dict):
            raise RequestError("body: expected a JSON object")
        return data

    def send_json(self, status: int, data: Any, headers: dict[str, str]) -> None:
        payload = json.dumps(data).encode()
        self.send_bytes(status, payload, "application/json", headers)

    def send_bytes(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)


def expect_ids(body: Any) -> list[str]:
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RequestError("ids: expected a list of write ids (strings)")
    return ids


def serve_in_background(
    sandbox: Sandbox,
    host: str = HOST,
    port: int = 0,
    speed: float = 1.0,
    strategy: Strategy | None = None,
) -> SandboxServer:
    """Start serving ``sandbox`` (from its current model time) on loopback; call ``.stop()`` to end."""
    from sandbox.running import NoControl

    if host != HOST:
        raise ValueError(f"host: the sandbox serves on loopback only ({HOST}), got {host!r}")
    return SandboxServer(LiveSandbox(sandbox, strategy or NoControl(), speed), port).start()


def serve_forever(sb: Sandbox, strategy: Strategy, speed: float, port: int, log: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM, then stop the HTTP server and the clock thread cleanly."""
    server = SandboxServer(LiveSandbox(sb, strategy, speed), port).start()
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    log(f"sandbox '{sb.scenario.name}' at {server.url} (speed {speed}x); Ctrl-C stops it")
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        log("sandbox stopped")
