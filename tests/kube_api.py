"""A small Kubernetes API server on loopback: the Deployment scale subresource and Leases, nothing else.

No real API server can be installed on this machine, so the Kubernetes adapter is exercised through
the real ``kubernetes`` client against this one. It implements what the adapter uses, with the real
semantics that matter: ``dryRun=All`` persists nothing, ``resourceVersion`` gives optimistic
concurrency (409 on a stale write, 409 on creating an existing Lease), 404 for unknown objects.
Faults are injected per request: an HTTP status to answer, or a delay (timeouts).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SCALE = re.compile(r"^/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/scale$")
LEASES = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([^/]+)/leases(?:/([^/]+))?$")


@dataclass
class ApiState:
    deployments: dict[tuple[str, str], int] = field(default_factory=dict)
    leases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    faults: list[int] = field(default_factory=list)  # statuses to answer next, one per request
    delay_s: float = 0.0
    requests: list[tuple[str, str]] = field(default_factory=list)
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_version(self) -> str:
        self.version += 1
        return str(self.version)


def status_body(code: int, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}


def scale_body(ns: str, name: str, replicas: int) -> dict[str, Any]:
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas},
    }


class Handler(BaseHTTPRequestHandler):
    state: ApiState

    def log_message(self, format: str, *args: Any) -> None:
        return

    def reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def handle_any(self, method: str) -> None:
        url = urlparse(self.path)
        dry = parse_qs(url.query).get("dryRun") == ["All"]
        st = self.state
        st.requests.append((method, self.path))
        if st.delay_s:
            time.sleep(st.delay_s)
        with st.lock:
            if st.faults:
                code = st.faults.pop(0)
                return self.reply(code, status_body(code, "injected fault"))
            if m := SCALE.match(url.path):
                return self.scale(method, m.group(1), m.group(2), dry)
            if m := LEASES.match(url.path):
                return self.lease(method, m.group(1), m.group(2), dry)
        return self.reply(404, status_body(404, f"no route {url.path}"))

    def scale(self, method: str, ns: str, name: str, dry: bool) -> None:
        key = (ns, name)
        if key not in self.state.deployments:
            return self.reply(404, status_body(404, f"deployments.apps {name!r} not found"))
        if method == "PATCH":
            replicas = self.body().get("spec", {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                return self.reply(422, status_body(422, f"invalid spec.replicas {replicas!r}"))
            if not dry:
                self.state.deployments[key] = replicas
            return self.reply(200, scale_body(ns, name, replicas))
        return self.reply(200, scale_body(ns, name, self.state.deployments[key]))

    def lease(self, method: str, ns: str, name: str | None, dry: bool) -> None:
        leases = self.state.leases
        if method == "POST":
            body = self.body()
            key = (ns, body["metadata"]["name"])
            if key in leases:
                return self.reply(409, status_body(409, "already exists"))
            body["metadata"]["resourceVersion"] = self.state.next_version()
            if not dry:
                leases[key] = body
            return self.reply(201, body)
        key = (ns, name or "")
        if key not in leases:
            return self.reply(404, status_body(404, f"leases {name!r} not found"))
        if method == "PUT":
            body = self.body()
            if body["metadata"].get("resourceVersion") != leases[key]["metadata"]["resourceVersion"]:
                return self.reply(409, status_body(409, "the object has been modified"))
            body["metadata"]["resourceVersion"] = self.state.next_version()
            if not dry:
                leases[key] = body
            return self.reply(200, body)
        return self.reply(200, leases[key])

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_PATCH(self) -> None:
        self.handle_any("PATCH")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_POST(self) -> None:
        self.handle_any("POST")


def start_api(port: int) -> tuple[ThreadingHTTPServer, ApiState]:
    state = ApiState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state
