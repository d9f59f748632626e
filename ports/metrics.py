"""The metric contract: every metric name, its labels, and the query that reads each signal.

Defined once here and used by the sandbox's ``/metrics`` exporter, the Prometheus adapter, the
alerting rules in ``runbooks/alerts.yaml`` and the dashboards. A metric a component exports but
that is not listed here is a defect: the test suite checks the exporters and rules against this file.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class Metric(BaseModel):
    """An exported Prometheus metric."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()


class Signal(BaseModel):
    """A logical reading a controller asks for, and the PromQL that computes it from the metrics."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    promql: str
    labels: tuple[str, ...]
    unit: str


LATENCY_BUCKETS_S = (0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0)
UPLOAD_BUCKETS_S = (10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0)

METRICS: tuple[Metric, ...] = (
    # --- delivery --------------------------------------------------------------------------------
    Metric(
        name="reelops_video_starts_total",
        kind=Kind.COUNTER,
        labels=("region",),
        help="Video starts attempted",
    ),
    Metric(
        name="reelops_video_start_failures_total",
        kind=Kind.COUNTER,
        labels=("region",),
        help="Video starts that failed as the user saw them (after client retries)",
    ),
    Metric(
        name="reelops_video_start_duration_seconds",
        kind=Kind.HISTOGRAM,
        labels=("region",),
        help="Time to first frame",
        buckets=LATENCY_BUCKETS_S,
    ),
    Metric(name="reelops_cdn_cache_hit_ratio", kind=Kind.GAUGE, labels=("region",), help="Edge cache hit ratio"),
    Metric(
        name="reelops_cdn_origin_requests_total",
        kind=Kind.COUNTER,
        labels=("region",),
        help="Requests that reached an origin (after the shield)",
    ),
    # --- encoding --------------------------------------------------------------------------------
    Metric(
        name="reelops_encode_queue_depth",
        kind=Kind.GAUGE,
        labels=("pool", "region", "jurisdiction"),
        help="Messages visible in a pool's encode queue",
    ),
    Metric(
        name="reelops_pool_instances",
        kind=Kind.GAUGE,
        labels=("pool", "state"),
        help="GPU instances by state: running, starting",
    ),
    Metric(name="reelops_pool_desired_capacity", kind=Kind.GAUGE, labels=("pool",), help="ASG desired capacity"),
    Metric(
        name="reelops_upload_to_live_seconds",
        kind=Kind.HISTOGRAM,
        labels=("jurisdiction",),
        help="Upload accepted -> renditions live and warmed",
        buckets=UPLOAD_BUCKETS_S,
    ),
    Metric(name="reelops_uploads_total", kind=Kind.COUNTER, labels=("jurisdiction",), help="Uploads accepted"),
    # --- data plane ------------------------------------------------------------------------------
    Metric(
        name="reelops_table_consumed_write_units",
        kind=Kind.GAUGE,
        labels=("table", "region"),
        help="Write units per second consumed",
    ),
    Metric(
        name="reelops_table_write_capacity_units",
        kind=Kind.GAUGE,
        labels=("table", "region"),
        help="Write units per second the table serves without throttling now",
    ),
    Metric(
        name="reelops_table_throttled_writes_total",
        kind=Kind.COUNTER,
        labels=("table", "region"),
        help="Writes the table rejected",
    ),
    Metric(
        name="reelops_write_buffer_depth",
        kind=Kind.GAUGE,
        labels=("region",),
        help="Messages waiting in the SQS write buffer",
    ),
    Metric(
        name="reelops_writes_lost_total",
        kind=Kind.COUNTER,
        labels=("region",),
        help="Writes neither stored nor buffered",
    ),
    # --- social signals --------------------------------------------------------------------------
    Metric(
        name="reelops_social_mentions_total",
        kind=Kind.COUNTER,
        labels=("video_id", "region"),
        help="Mentions reported by the social listener",
    ),
    Metric(
        name="reelops_video_views_total",
        kind=Kind.COUNTER,
        labels=("video_id", "region"),
        help="Views of a tracked video",
    ),
    # --- spend -----------------------------------------------------------------------------------
    Metric(
        name="reelops_spend_usd_total",
        kind=Kind.COUNTER,
        labels=("cost_center",),
        help="Estimated spend since the start of the UTC day",
    ),
    Metric(
        name="reelops_projected_daily_spend_usd",
        kind=Kind.GAUGE,
        labels=(),
        help="Projected spend at the end of the UTC day",
    ),
    Metric(
        name="reelops_spend_data_age_seconds",
        kind=Kind.GAUGE,
        labels=(),
        help="Age of the newest telemetry behind the spend estimate",
    ),
    # --- controllers -----------------------------------------------------------------------------
    Metric(
        name="reelops_controller_decisions_total",
        kind=Kind.COUNTER,
        labels=("controller", "action", "reason"),
        help="Decisions taken",
    ),
    Metric(
        name="reelops_controller_errors_total",
        kind=Kind.COUNTER,
        labels=("controller", "stage"),
        help="Failed observations or actuations",
    ),
    Metric(
        name="reelops_controller_last_success_timestamp_seconds",
        kind=Kind.GAUGE,
        labels=("controller",),
        help="When the controller last completed a reconcile",
    ),
    Metric(
        name="reelops_breaker_state",
        kind=Kind.GAUGE,
        labels=("state",),
        help="1 for the budget breaker's current state (closed, warn, page, open, half_open)",
    ),
    Metric(
        name="reelops_router_decisions_total",
        kind=Kind.COUNTER,
        labels=("jurisdiction", "action"),
        help="Encode routing decisions",
    ),
    Metric(
        name="reelops_jurisdiction_guard_trips_total",
        kind=Kind.COUNTER,
        labels=("jurisdiction",),
        help="Actuator refused a cross-jurisdiction action",
    ),
)

METRICS_BY_NAME = {m.name: m for m in METRICS}


class SignalName(StrEnum):
    VIDEO_START_P95_MS = "video_start_p95_ms"
    VIDEO_STARTS_PER_MIN = "video_starts_per_min"
    VIDEO_START_FAILURE_RATIO = "video_start_failure_ratio"
    CACHE_HIT_RATIO = "cache_hit_ratio"
    ENCODE_QUEUE_DEPTH = "encode_queue_depth"
    POOL_INSTANCES = "pool_instances"
    UPLOAD_TO_LIVE_P95_S = "upload_to_live_p95_s"
    TABLE_CONSUMED_WCU = "table_consumed_wcu"
    TABLE_CAPACITY_WCU = "table_capacity_wcu"
    TABLE_THROTTLED_PER_MIN = "table_throttled_per_min"
    WRITE_BUFFER_DEPTH = "write_buffer_depth"
    WRITES_LOST = "writes_lost"
    MENTIONS_PER_MIN = "mentions_per_min"
    VIEWS_PER_MIN = "views_per_min"
    SPEND_TODAY_USD = "spend_today_usd"
    PROJECTED_DAILY_SPEND_USD = "projected_daily_spend_usd"


SIGNALS: dict[SignalName, Signal] = {
    s.name: s  # type: ignore[misc]
    for s in (
        Signal(
            name=SignalName.VIDEO_START_P95_MS,
            labels=("region",),
            unit="ms",
            promql="1000 * histogram_quantile(0.95, sum by (le, region) "
            "(rate(reelops_video_start_duration_seconds_bucket[1m])))",
        ),
        Signal(
            name=SignalName.VIDEO_STARTS_PER_MIN,
            labels=("region",),
            unit="1/min",
            promql="60 * sum by (region) (rate(reelops_video_starts_total[1m]))",
        ),
        Signal(
            name=SignalName.VIDEO_START_FAILURE_RATIO,
            labels=("region",),
            unit="ratio",
            promql="sum by (region) (rate(reelops_video_start_failures_total[1m])) / "
            "clamp_min(sum by (region) (rate(reelops_video_starts_total[1m])), 1e-9)",
        ),
        Signal(
            name=SignalName.CACHE_HIT_RATIO,
            labels=("region",),
            unit="ratio",
            promql="reelops_cdn_cache_hit_ratio",
        ),
        Signal(
            name=SignalName.ENCODE_QUEUE_DEPTH,
            labels=("pool", "region", "jurisdiction"),
            unit="messages",
            promql="reelops_encode_queue_depth",
        ),
        Signal(
            name=SignalName.POOL_INSTANCES,
            labels=("pool", "state"),
            unit="instances",
            promql="reelops_pool_instances",
        ),
        Signal(
            name=SignalName.UPLOAD_TO_LIVE_P95_S,
            labels=("jurisdiction",),
            unit="s",
            promql="histogram_quantile(0.95, sum by (le, jurisdiction) "
            "(rate(reelops_upload_to_live_seconds_bucket[5m])))",
        ),
        Signal(
            name=SignalName.TABLE_CONSUMED_WCU,
            labels=("table", "region"),
            unit="WCU",
            promql="reelops_table_consumed_write_units",
        ),
        Signal(
            name=SignalName.TABLE_CAPACITY_WCU,
            labels=("table", "region"),
            unit="WCU",
            promql="reelops_table_write_capacity_units",
        ),
        Signal(
            name=SignalName.TABLE_THROTTLED_PER_MIN,
            labels=("table", "region"),
            unit="1/min",
            promql="60 * rate(reelops_table_throttled_writes_total[1m])",
        ),
        Signal(
            name=SignalName.WRITE_BUFFER_DEPTH,
            labels=("region",),
            unit="messages",
            promql="reelops_write_buffer_depth",
        ),
        Signal(name=SignalName.WRITES_LOST, labels=("region",), unit="writes", promql="reelops_writes_lost_total"),
        Signal(
            name=SignalName.MENTIONS_PER_MIN,
            labels=("video_id", "region"),
            unit="1/min",
            promql="60 * rate(reelops_social_mentions_total[1m])",
        ),
        Signal(
            name=SignalName.VIEWS_PER_MIN,
            labels=("video_id", "region"),
            unit="1/min",
            promql="60 * rate(reelops_video_views_total[1m])",
        ),
        Signal(
            name=SignalName.SPEND_TODAY_USD,
            labels=("cost_center",),
            unit="USD",
            promql="reelops_spend_usd_total",
        ),
        Signal(
            name=SignalName.PROJECTED_DAILY_SPEND_USD,
            labels=(),
            unit="USD",
            promql="reelops_projected_daily_spend_usd",
        ),
    )
}
