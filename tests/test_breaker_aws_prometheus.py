"""`ops controllers run --backend aws --only breaker` end to end: a real Prometheus scraping the
metric contract's telemetry (video starts read at 4x or more a normal day's rate), moto's server for
every AWS API. The breaker must open on the estimator's projection and change AWS: the state item, the
flag parameters, the GPU groups' MaxSize, and a page on the budget topic.

A multiple of the normal rate is time-of-day independent: the estimator's first reading backfills the
day so far along the diurnal profile at the measured rate, so the projection is that multiple of a
normal day whatever the wall clock says. Prometheus's ``rate(...[1m])`` over a series younger than a
minute reads low (it divides by the whole window), so the exporter counts faster and the test waits
until Prometheus reads at least 4x.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import Counter, Gauge
from typer.testing import CliRunner

from cli.main import app
from controllers.adapters.prometheus import PrometheusMetrics
from controllers.breaker.aws_adapters import AwsBreakerSettings
from controllers.breaker.models import BreakerMemory, BreakerState, Channel
from controllers.runtime.auditing import Outcome, read_audit
from finops.cost_model import drivers_from_platforms
from finops.usage import default_usage
from ports.metrics import SignalName
from stacks.loading import load_prod_platforms
from stacks.model import PlatformModel
from tests.conftest import wait_for
from tests.test_adapters_prometheus import contract_metric
from tests.test_breaker_aws import (  # noqa: F401 (fixtures)
    groups,
    inbox,
    moto_aws,
    parameters,
    platform,
    platforms,
    settings,
    stored_state,
)

PUMP_SCALE = 30.0  # the exporter's rate, x a normal day's at this hour
READ_SCALE = 4.0  # what the test waits for Prometheus to read; rate()[1m] over a younger series reads low


def normal_starts_per_min() -> float:
    import time

    traffic = drivers_from_platforms(list(load_prod_platforms().values())).traffic
    return traffic.dau * traffic.views_per_dau * default_usage().diurnal_profile[int(time.time() % 86_400 // 3600)] / 60


@pytest.fixture(scope="module")
def runaway_telemetry(metrics_exporter: tuple[Any, str], platforms: list[PlatformModel]) -> Iterator[None]:  # noqa: F811
    """The contract's spend signals: video starts at PUMP_SCALE x the model's rate this hour, per region."""
    registry, _ = metrics_exporter
    drivers = drivers_from_platforms(platforms)
    traffic, profile = drivers.traffic, default_usage().diurnal_profile
    regions = {r: spec.traffic_share for p in platforms for r, spec in p.regions.items()}
    starts = contract_metric(Counter, "reelops_video_starts_total", registry)
    hits = contract_metric(Gauge, "reelops_cdn_cache_hit_ratio", registry)
    instances = contract_metric(Gauge, "reelops_pool_instances", registry)
    consumed = contract_metric(Gauge, "reelops_table_consumed_write_units", registry)
    for region in regions:
        hits.labels(region=region).set(0.95)
        starts.labels(region=region).inc(0)
    instances.labels(pool="us-east-1-gpu", state="running").set(14)
    for table in drivers.tables:
        consumed.labels(table=table.name, region="us-east-1").set(table.writes_per_day / 86_400)
    stop = threading.Event()

    def pump() -> None:
        import time

        while not stop.wait(0.1):
            hour = int(time.time() % 86_400 // 3600)
            per_s = traffic.dau * traffic.views_per_dau * profile[hour] / 3600 * PUMP_SCALE  # as NormalDay, per s
            for region, share in regions.items():
                starts.labels(region=region).inc(per_s * share * 0.1)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)


def test_cli_breaker_on_aws_opens_on_runaway_telemetry_from_prometheus(
    prometheus_server: str,
    runaway_telemetry: None,
    platform: str,  # noqa: F811
    settings: AwsBreakerSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    source = PrometheusMetrics(prometheus_server, timeout_s=3)
    wait_for(lambda: len(source.read(SignalName.VIDEO_STARTS_PER_MIN)) > 0, 30, "two scrapes of the exporter")
    wait_for(
        lambda: (
            sum(s.value for s in source.read(SignalName.VIDEO_STARTS_PER_MIN)) >= READ_SCALE * normal_starts_per_min()
        ),
        60,
        f"Prometheus's 1-minute rate to read at least {READ_SCALE}x a normal day's video starts",
    )
    audit = tmp_path / "audit.jsonl"
    args = ["controllers", "run", "--backend", "aws", "--only", "breaker", "--iterations", "1", "--interval-s", "1"]
    args += ["--prometheus-url", prometheus_server, "--aws-endpoint-url", platform, "--audit", str(audit), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcomes"] == {"budget-breaker:applied": 1}
    (record,) = read_audit(audit)
    assert record.outcome == Outcome.APPLIED and record.decision is not None
    assert (record.decision["action"], record.decision["reason"]) == ("trip", "above_breaker")
    assert record.decision["details"]["projected_daily_usd"] > 15_000
    item = stored_state(platform, settings)
    assert item is not None
    memory = BreakerMemory.model_validate_json(item["memory"]["S"])
    assert memory.state == BreakerState.OPEN
    assert set(memory.applied) == {"pause_backlog_encodes", "sample_analytics", "cap_spot_burst", "reduce_prefetch"}
    assert parameters(platform, settings) == {
        "backlog_encodes": "0",
        "analytics_sample_rate": "0.1",
        "prefetch_depth": "1",
    }
    assert groups(platform, settings)["us-west-2-gpu"] == (7, 7)  # 2 + int(0.25 x 23); desired lowered from 10
    assert any("-> open" in m for m in inbox(platform, settings, settings.topics[Channel.ONCALL]))
