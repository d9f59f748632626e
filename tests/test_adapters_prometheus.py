"""The Prometheus metrics source against a real Prometheus scraping an exporter we control.

The exporter uses the contract's metric names (ports/metrics.py); the adapter runs the contract's
PromQL. Faults (NaN, server down, timeouts) must surface as PortError, never as numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import Counter, Gauge

from controllers.adapters.prometheus import PrometheusMetrics
from controllers.predictive.scaling import ScalerPorts, observe_videos
from ports.interfaces import MetricsSource, PortError
from ports.metrics import METRICS_BY_NAME, SignalName
from tests.conftest import free_port, wait_for

MENTIONS_PER_S = 20.0  # the exporter's mention rate for video v1


def contract_metric(kind: type[Counter] | type[Gauge], name: str, registry: Any) -> Any:
    spec = METRICS_BY_NAME[name]
    return kind(name, spec.help, list(spec.labels), registry=registry)


@pytest.fixture(scope="module")
def exporter_metrics(metrics_exporter: tuple[Any, str]) -> Iterator[dict[str, Any]]:
    """Contract metrics on the exporter; mentions of v1 grow at MENTIONS_PER_S on a background thread."""
    registry, _ = metrics_exporter
    m = {
        "mentions": contract_metric(Counter, "reelops_social_mentions_total", registry),
        "views": contract_metric(Counter, "reelops_video_views_total", registry),
        "consumed": contract_metric(Gauge, "reelops_table_consumed_write_units", registry),
    }
    m["consumed"].labels(table="progress", region="eu-west-1").set(1042.0)
    m["consumed"].labels(table="progress", region="us-east-1").set(2000.0)
    m["views"].labels(video_id="v1", region="eu-west-1").inc(0)
    stop = threading.Event()

    def pump() -> None:
        while not stop.wait(0.1):
            m["mentions"].labels(video_id="v1", region="eu-west-1").inc(MENTIONS_PER_S * 0.1)
            m["views"].labels(video_id="v1", region="eu-west-1").inc(MENTIONS_PER_S)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    yield m
    stop.set()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def source(prometheus_server: str, exporter_metrics: dict[str, Any]) -> PrometheusMetrics:
    src = PrometheusMetrics(prometheus_server, timeout_s=3)
    wait_for(lambda: len(src.read(SignalName.MENTIONS_PER_MIN)) > 0, 30, "two scrapes of the exporter")
    return src


def prometheus_query(url: str, promql: str, at: float) -> float:
    """Ask Prometheus directly (plain HTTP API) for one value at one time."""
    import json
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode({"query": promql, "time": at})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as answer:
        [item] = json.load(answer)["data"]["result"]
    return float(item["value"][1])


def test_it_is_a_metrics_source(source: PrometheusMetrics) -> None:
    assert isinstance(source, MetricsSource)


def test_reads_gauges_with_label_filters(source: PrometheusMetrics) -> None:
    every = source.read(SignalName.TABLE_CONSUMED_WCU)
    assert {(s.labels["region"], s.value) for s in every} == {("eu-west-1", 1042.0), ("us-east-1", 2000.0)}
    [eu] = source.read(SignalName.TABLE_CONSUMED_WCU, {"region": "eu-west-1"})
    assert eu.labels == {"table": "progress", "region": "eu-west-1", "job": "test", "instance": eu.labels["instance"]}


def test_rates_per_minute_follow_the_contract_query(source: PrometheusMetrics, prometheus_server: str) -> None:
    [s] = source.read(SignalName.MENTIONS_PER_MIN, {"video_id": "v1"})
    direct = prometheus_query(prometheus_server, 'rate(reelops_social_mentions_total{video_id="v1"}[1m])', s.timestamp)
    assert s.value > 0 and s.value == pytest.approx(60 * direct, rel=1e-6), "per minute = 60 x Prometheus' rate"
    videos = observe_videos(ScalerPorts(metrics=source).metrics)
    assert [(v.video_id, v.region) for v in videos] == [("v1", "eu-west-1")]
    assert videos[0].views_per_min == pytest.approx(10 * videos[0].mentions_per_min, rel=0.35)


def test_nan_is_a_port_error_not_a_number(source: PrometheusMetrics, exporter_metrics: dict[str, Any]) -> None:
    exporter_metrics["consumed"].labels(table="progress", region="eu-west-1").set(float("nan"))

    def nan_seen() -> bool:
        try:
            source.read(SignalName.TABLE_CONSUMED_WCU)
        except PortError as exc:
            assert "nan" in str(exc).lower()
            return True
        return False

    try:
        wait_for(nan_seen, 15, "the NaN sample to be scraped")
    finally:
        exporter_metrics["consumed"].labels(table="progress", region="eu-west-1").set(1042.0)


def test_server_down_is_a_port_error() -> None:
    gone = PrometheusMetrics(f"http://127.0.0.1:{free_port()}", timeout_s=1)
    with pytest.raises(PortError, match="Prometheus at"):
        gone.read(SignalName.TABLE_CONSUMED_WCU)


def test_timeout_is_a_port_error() -> None:
    """A server that accepts the connection and never answers."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        slow = PrometheusMetrics(f"http://127.0.0.1:{port}", timeout_s=0.5)
        with pytest.raises(PortError, match=r"Timeout|timed out"):
            slow.read(SignalName.MENTIONS_PER_MIN)
