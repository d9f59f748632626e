"""Shared fixtures: real emulators started on free loopback ports, and a fake clock."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ports.clocks import FakeClock


def free_port() -> int:
    """A loopback TCP port that is free right now (several test runs share this machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server over HTTP on loopback; boto3 clients use ``endpoint_url=moto_endpoint``."""
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_reset(moto_endpoint: str) -> Iterator[str]:
    """A moto server with empty state for this test."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    yield moto_endpoint


# --- Prometheus: a real server on loopback scraping an exporter the test controls -----------------
PROMETHEUS_BOOT_TIMEOUT_S = 30.0


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` until it is true; fail the test (never skip) with ``what`` after ``timeout_s``."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture(scope="module")
def metrics_exporter() -> Iterator[tuple[Any, str]]:
    """A prometheus_client registry served on a free loopback port: ``(registry, "127.0.0.1:PORT")``."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield registry, f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory, metrics_exporter: tuple[Any, str]) -> Iterator[str]:
    """Debian's ``prometheus`` on a free loopback port, tmp TSDB, scraping ``metrics_exporter`` every 1 s.

    One server per test module (it takes a few seconds to start); tests share the exporter's registry.
    """
    import shutil
    import subprocess
    import urllib.request

    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the `prometheus` binary is missing: run ./run setup (installs Debian's prometheus)")
    _, target = metrics_exporter
    tmp_path = tmp_path_factory.mktemp("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: test\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=1).status == 200,
            PROMETHEUS_BOOT_TIMEOUT_S,
            f"Prometheus at {url} to be ready (log: {log.name})",
        )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
