"""A loopback proxy in front of moto's server that throttles or hangs the AWS calls a test picks.

moto never throttles or times out. The proxy forwards every request to moto unchanged (so the rest
of the platform is real moto state) and answers the chosen calls the way AWS does when throttling:
``Throttling`` in the query protocol's XML (Auto Scaling, SNS, SQS query), ``ThrottlingException`` in
the JSON protocols (DynamoDB, SSM), or by not answering at all (``hang``) so the client times out.
A call is chosen by a substring of its action (``X-Amz-Target`` header or ``Action=`` form field) and,
optionally, of its body (a group or table name).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import free_port

HANG_S = 3.0  # longer than the read timeout the tests give their clients
HOP_HEADERS = {"host", "content-length", "connection", "accept-encoding"}


@dataclass
class FaultRule:
    action: str  # e.g. "UpdateAutoScalingGroup", "PutItem", "PutParameter"
    body_contains: str = ""
    mode: str = "throttle"  # or "hang"
    hits: int = 0


@dataclass
class FaultProxy:
    url: str
    target: str
    rules: list[FaultRule] = field(default_factory=list)

    def fail(self, action: str, body_contains: str = "", mode: str = "throttle") -> FaultRule:
        rule = FaultRule(action, body_contains, mode)
        self.rules.append(rule)
        return rule


def action_of(headers: Any, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return str(target)
    for part in body.decode(errors="replace").split("&"):
        if part.startswith("Action="):
            return part.removeprefix("Action=")
    return ""


def make_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            action = action_of(self.headers, body)
            for rule in proxy.rules:
                if rule.action in action and rule.body_contains.encode() in body:
                    rule.hits += 1
                    if rule.mode == "hang":
                        time.sleep(HANG_S)
                        return
                    self.throttle(json_protocol="X-Amz-Target" in self.headers)
                    return
            self.forward(body)

        def do_GET(self) -> None:
            self.forward(b"")

        def throttle(self, *, json_protocol: bool) -> None:
            if json_protocol:
                data = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                kind = "application/x-amz-json-1.1"
            else:
                data = (
                    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
                )
                kind = "text/xml"
            self.reply(400, kind, data)

        def forward(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            request = urllib.request.Request(
                proxy.target + self.path, data=body or None, headers=headers, method=self.command
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status, kind, data = answer.status, answer.headers.get("Content-Type", ""), answer.read()
            except urllib.error.HTTPError as exc:
                status, kind, data = exc.code, exc.headers.get("Content-Type", ""), exc.read()
            self.reply(status, kind, data)

        def reply(self, status: int, kind: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    """A proxy to ``target`` (moto's URL) on a free loopback port; add rules with ``proxy.fail``."""
    port = free_port()
    proxy = FaultProxy(url=f"http://127.0.0.1:{port}", target=target)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(proxy))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
