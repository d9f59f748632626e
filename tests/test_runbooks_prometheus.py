"""The alerting rules loaded by a real Prometheus, evaluated on what real exporters expose.

promtool proves the rules' logic on synthetic series; this proves the rule file loads in the server
and that the rules match the exposition of the code that exports the metrics: the controllers
runtime's exporter, the breaker's spend/state collector (finops), prometheus_client counters with
their ``_total`` suffix. Debian's ``prometheus`` runs on a free loopback port with 1 s scrape and
evaluation intervals; a missing binary fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from controllers.runtime.exporting import ControllerMetrics
from finops.exporting import SpendCollector
from finops.spending import SpendEstimate
from ports.metrics import METRICS_BY_NAME
from runbooks.catalogue import ALERTS_FILE, list_promql, load_runbooks
from tests.conftest import free_port
from tests.loopback import QuietHandler, serve

SPEND_TODAY = SpendEstimate(
    at=0.0,
    day_start=0.0,
    spent_today_by_cost_center={"cdn": 11_000.0, "encoding": 1_500.0},
    spent_today_usd=12_500.0,
    rate_usd_per_hour_by_cost_center={},
    rate_usd_per_hour=0.0,
    projected_daily_usd=16_000.0,
    data_age_s=30.0,
)
BOOT_TIMEOUT_S = 30.0
FIRING_TIMEOUT_S = 20.0


def wait_until[T](read: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll ``read`` until it returns something; fail (never skip) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = read()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


def contract(kind: type[Gauge] | type[Counter], name: str, registry: CollectorRegistry) -> Any:
    spec = METRICS_BY_NAME[name]
    return kind(name.removesuffix("_total"), spec.help, list(spec.labels), registry=registry)


def build_platform_registry() -> tuple[CollectorRegistry, Counter]:
    """What a platform in trouble exports: breaker open, a queue over 500, $12.5K spent; and the
    guard-trip counter, which the test increments once Prometheus has scraped it at zero."""
    controllers = ControllerMetrics()
    controllers.mark_success("router", time.time())
    reg = controllers.registry
    reg.register(SpendCollector(lambda: (SPEND_TODAY, "open")))  # the breaker's own spend/state exporter
    depth = contract(Gauge, "reelops_encode_queue_depth", reg)
    depth.labels(pool="us-east-1-gpu", region="us-east-1", jurisdiction="US").set(650)
    depth.labels(pool="eu-west-1-gpu", region="eu-west-1", jurisdiction="EU").set(40)
    contract(Gauge, "reelops_cdn_cache_hit_ratio", reg).labels(region="eu-west-1").set(0.95)
    trips = contract(Counter, "reelops_jurisdiction_guard_trips_total", reg)
    trips.labels(jurisdiction="EU")
    return reg, trips


class Exporter(QuietHandler):
    registry: CollectorRegistry

    def do_GET(self) -> None:
        self.reply(200, generate_latest(self.registry), "text/plain; version=0.0.4")


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Counter, str]]:
    registry, trips = build_platform_registry()
    with serve(type("Handler", (Exporter,), {"registry": registry})) as url:
        yield trips, url.removeprefix("http://")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, platform: tuple[Counter, str]) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "the `prometheus` binary is missing: run ./run setup (installs Debian's prometheus)"
    tmp: Path = tmp_path_factory.mktemp("prometheus-alerts")
    (tmp / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{ALERTS_FILE}']\n"
        f"scrape_configs:\n  - job_name: platform\n    static_configs: [{{targets: ['{platform[1]}']}}]\n"
    )
    url = f"http://127.0.0.1:{free_port()}"
    with (tmp / "prometheus.log").open("w") as log:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address={url.removeprefix('http://')}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=1).status == 200,
                BOOT_TIMEOUT_S,
                f"Prometheus at {url} (log {log.name})",
            )
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["data"]


def alerts_in(prometheus: str, state: str) -> dict[str, dict[str, Any]]:
    alerts = get(f"{prometheus}/api/v1/alerts")["alerts"]
    return {a["labels"]["alertname"]: a for a in alerts if a["state"] == state}


def test_prometheus_loads_every_rule_from_the_file(prometheus: str) -> None:
    groups = get(f"{prometheus}/api/v1/rules")["groups"]
    loaded = {r["name"] for g in groups for r in g["rules"]}
    assert {"VideoStartLatencyHigh", "BudgetBreakerOpen", "JurisdictionGuardTripped"} <= loaded
    assert all(r["health"] != "err" for g in groups for r in g["rules"]), groups


def test_real_exposition_fires_the_alerts_it_should(prometheus: str, platform: tuple[Counter, str]) -> None:
    trips, _ = platform
    # trip the guard only after Prometheus has scraped the counter at 0, so `increase` sees it
    wait_until(
        lambda: get(f"{prometheus}/api/v1/query?query=reelops_jurisdiction_guard_trips_total")["result"],
        FIRING_TIMEOUT_S,
        "the first scrape",
    )
    trips.labels(jurisdiction="EU").inc()
    expected = {"BudgetBreakerOpen", "DailyCostHigh", "JurisdictionGuardTripped"}

    def all_expected_firing() -> dict[str, dict[str, Any]] | None:
        firing = alerts_in(prometheus, "firing")
        return firing if expected <= set(firing) else None

    firing = wait_until(all_expected_firing, FIRING_TIMEOUT_S, f"{sorted(expected)} to fire")
    assert firing["JurisdictionGuardTripped"]["labels"]["jurisdiction"] == "EU"
    assert firing["DailyCostHigh"]["annotations"]["runbook"] == "daily-cost"
    pending = alerts_in(prometheus, "pending")
    assert pending["EncodeQueueDepthHigh"]["labels"]["pool"] == "us-east-1-gpu"  # `for: 5m` not yet over
    assert "CacheHitRatioLow" not in firing and "CacheHitRatioLow" not in pending  # 95% is normal
    assert "ControllerObservationsStale" not in firing  # the router reconciled just now


def test_every_runbook_promql_is_accepted_by_prometheus(prometheus: str) -> None:
    expressions = [(b.name, e) for b in load_runbooks().values() for e in list_promql(b)]
    assert expressions
    for name, expr in expressions:
        query = urllib.parse.urlencode({"query": expr})
        try:
            urllib.request.urlopen(f"{prometheus}/api/v1/query?{query}", timeout=5).close()
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{name}: Prometheus rejects {expr!r}: {exc.read()[:300]!r}")
