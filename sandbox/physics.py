"""The sandbox's physical constants: how fast things react, with the SPEC figure each comes from.

They are data, not code: a scenario may override any of them under its ``physics:`` key. Nothing in
the mechanisms repeats these numbers; the docs (docs/sandbox.md) explain each one. What only pricing
needs (SQS requests per buffered write, caption minutes per upload, MB per GB) is not physics: the
spend meter reads it from FinOps' usage assumptions and catalogue, as the cost model does.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Physics(BaseModel):
    """Reaction times, latencies and behaviours of the platform's parts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # traffic (SPEC 6): hourly shape of video starts in platform time; rescaled so that the mean is 1
    # and the maximum is the platform model's commute_peak_factor.
    hourly_views_shape: tuple[float, ...] = (
        0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 0.9, 0.85, 0.9,
        1.0, 1.0, 1.0, 1.1, 1.4, 1.8, 1.8, 1.5, 1.3, 1.1, 0.8, 0.5,
    )  # fmt: skip
    active_hours_start: float = Field(default=7.0, ge=0, lt=24, description="writes happen in active hours (SPEC 6)")
    write_mix: dict[str, float] = Field(
        default_factory=lambda: {"view": 0.6, "interaction": 0.3, "ml": 0.1},
        description="SPEC 8 scenario 3: 60% video views, 30% likes/comments, 10% ML events",
    )
    write_tables: dict[str, str] = Field(
        default_factory=lambda: {"view": "progress", "interaction": "user_reviews", "ml": "tutor_conversations"},
        description="which platform-model table stores each kind of write",
    )
    # tables (SPEC 5)
    partition_wcu: float = Field(default=1000, gt=0, description="a single partition caps at 1,000 WCU (SPEC 5)")
    hot_key_share: dict[str, float] = Field(
        default_factory=dict, description="per write kind: share of its writes on one partition key (hot key)"
    )
    autoscale_alarm_minutes: int = Field(default=2, gt=0, description="minutes of throttling before scaling (SPEC 5)")
    autoscale_step_factor: float = Field(default=2.0, gt=1, description="capacity multiplier per scaling step")
    table_update_s: float = Field(default=120, ge=0, description="an UpdateTable takes this long to apply")
    on_demand_peak_window_s: float = Field(default=1800, gt=0, description="2x the peak of the last 30 min (SPEC 5)")
    on_demand_adapt_s: float = Field(default=300, ge=0, description="a new peak counts after this long")
    warm_apply_s: float = Field(default=300, ge=0, description="warm throughput completes after ~5 min (SPEC 7)")
    write_latency_ms: float = Field(default=50, gt=0, description="direct table write (SPEC 8 scenario 3)")
    buffer_batch_window_ms: float = Field(default=150, ge=0, description="SQS batch wait: 50 ms -> ~200 ms")
    # serving (SPEC 6, 8 scenario 1)
    serving_target_utilisation: float = Field(default=0.6, gt=0, le=1, description="playback fleet sized for peak")
    api_latency_ms: float = Field(default=40, gt=0)
    api_latency_cap_ms: float = Field(default=2000, gt=0)
    dns_health_check_interval_s: float = Field(default=10, gt=0)
    dns_failure_threshold: int = Field(default=3, gt=0, description="3 x 10 s: failover in < 30 s (SPEC 8)")
    reprovision_s: float = Field(default=300, ge=0, description="unmitigated: re-provisioning elsewhere, 5 min")
    standby_fraction: float = Field(default=0.5, ge=0, le=1, description="hot standby at 50% capacity (SPEC 8)")
    retry_delays_s: tuple[float, ...] = (0.1, 0.5, 2.0)
    retry_success_within: float = Field(default=0.7, ge=0, le=1, description="70% succeed within 3 s (SPEC 8)")
    az_detection_s: float = Field(default=10, ge=0, description="LB health checks drop an AZ over 200 ms")
    replica_start_s: float = Field(default=90, ge=0, description="pod + node start (60-100 s)")
    # CDN (SPEC 4)
    edge_latency_ms: float = Field(default=35, gt=0)
    shield_latency_ms: float = Field(default=50, gt=0)
    origin_latency_ms: float = Field(default=120, gt=0)
    cross_region_origin_ms: float = Field(default=80, ge=0)
    origin_failover_s: float = Field(default=10, ge=0, description="origin-group failover < 10 s (SPEC 4)")
    replication_lag_s: float = Field(default=900, ge=0, description="secondary origin lags ~15 min (SPEC 4)")
    new_content_miss_share: float = Field(
        default=0.2, ge=0, le=1, description="share of origin requests for content younger than the replication lag"
    )
    latency_sigma: float = Field(default=0.35, gt=0, description="log-normal spread of request latencies")
    # encoding (SPEC 3)
    duplicate_share: float = Field(default=0.04, ge=0, lt=1, description="3-5% of uploads are duplicates")
    upload_sigma: float = Field(default=0.12, gt=0, description="spread of the ~20 s pipeline")
    spot_interruptions_per_hour: float = Field(default=0.0, ge=0, description="per spot instance")
