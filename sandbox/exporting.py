"""``/metrics`` for the sandbox: every metric of ports/metrics.py, read from the model at scrape time.

A custom prometheus_client collector in a private ``CollectorRegistry`` (never the global one, so
several sandboxes and the controllers' own exporters can live in one process). Every family of the
contract is emitted, with no samples where the sandbox has nothing to say (controllers export their
own ``reelops_controller_*`` series).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from ports.metrics import METRICS, Kind
from ports.metrics import Metric as MetricSpec
from sandbox.histograms import LogHistogram

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

Rows = list[tuple[tuple[str, ...], float]]


class SandboxCollector:
    """Yields each contract metric with the model's current values."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def collect(self) -> Iterator[Metric]:
        for spec in METRICS:
            if spec.kind == Kind.HISTOGRAM:
                yield self.histogram(spec)
                continue
            family = (CounterMetricFamily if spec.kind == Kind.COUNTER else GaugeMetricFamily)(
                spec.name, spec.help, labels=list(spec.labels)
            )
            reader = SCALARS.get(spec.name)
            for labels, value in reader(self.sb) if reader else []:
                family.add_metric(list(labels), float(value))
            yield family

    def histogram(self, spec: MetricSpec) -> HistogramMetricFamily:
        family = HistogramMetricFamily(spec.name, spec.help, labels=list(spec.labels))
        sb = self.sb
        if spec.name == "reelops_video_start_duration_seconds":
            add_histogram(family, sb.start_latency, sb.region_names, spec.buckets, scale=1000.0)
        elif spec.name == "reelops_upload_to_live_seconds":
            add_histogram(family, sb.pools.live, sb.jurisdiction_names, spec.buckets, scale=1.0)
        return family


def add_histogram(
    family: HistogramMetricFamily, hist: LogHistogram, names: list[str], edges: tuple[float, ...], scale: float
) -> None:
    """Cumulative buckets at the contract's edges (seconds) from a histogram kept in ``1/scale`` s."""
    for row, name in enumerate(names):
        cum = hist.cumulative_at(tuple(e * scale for e in edges), row)
        total = hist.total(row)
        dist = hist.spread(np.asarray([row], dtype=np.intp))
        buckets = [(format_le(e), c) for e, c in zip(edges, cum, strict=True)] + [("+Inf", total)]
        family.add_metric([name], buckets, sum_value=float((dist * hist.centres).sum()) / scale)


def format_le(edge: float) -> str:
    return repr(float(edge))


def by_region(sb: Sandbox, values: np.ndarray) -> Rows:
    return [((r,), float(values[i])) for i, r in enumerate(sb.region_names)]


def by_table(sb: Sandbox, values: np.ndarray) -> Rows:
    return [((t, r), float(values[i, k])) for i, r in enumerate(sb.region_names) for k, t in enumerate(sb.table_names)]


def by_video(sb: Sandbox, values: np.ndarray) -> Rows:
    return [((v, sb.social.regions[i]), float(values[i])) for i, v in enumerate(sb.social.video_ids)]


def pool_instances(sb: Sandbox) -> Rows:
    rows: Rows = []
    for p in sb.pools.pools:
        rows += [((p.spec.name, "running"), p.running), ((p.spec.name, "starting"), p.starting_count)]
    return rows


def router_decisions(sb: Sandbox) -> Rows:
    merged: dict[tuple[str, str], float] = {}
    for source in (sb.pools.decisions, sb.router_decisions):
        for key, n in source.items():
            merged[key] = merged.get(key, 0.0) + n
    return [((j, a), n) for (j, a), n in sorted(merged.items())]


def projected_spend(sb: Sandbox) -> Rows:
    from sandbox.signals import read_projected

    return [((), value) for _, value in read_projected(sb)]


SCALARS: dict[str, Callable[[Sandbox], Rows]] = {
    "reelops_video_starts_total": lambda sb: by_region(sb, sb.starts),
    "reelops_video_start_failures_total": lambda sb: by_region(sb, sb.start_perceived),
    "reelops_cdn_cache_hit_ratio": lambda sb: by_region(sb, sb.hit_ratio),
    "reelops_cdn_origin_requests_total": lambda sb: by_region(sb, sb.origin_requests),
    "reelops_encode_queue_depth": lambda sb: [
        ((p.spec.name, p.spec.region, p.jurisdiction), p.depth) for p in sb.pools.pools
    ],
    "reelops_pool_instances": pool_instances,
    "reelops_pool_desired_capacity": lambda sb: [((p.spec.name,), p.desired) for p in sb.pools.pools],
    "reelops_uploads_total": lambda sb: [((j,), float(sb.uploads[i])) for i, j in enumerate(sb.jurisdiction_names)],
    "reelops_table_consumed_write_units": lambda sb: by_table(sb, sb.tables.consumed),
    "reelops_table_write_capacity_units": lambda sb: by_table(sb, sb.tables.capacity()),
    "reelops_table_throttled_writes_total": lambda sb: by_table(sb, sb.tables.throttled),
    "reelops_write_buffer_depth": lambda sb: by_region(sb, sb.tables.queue.sum(axis=1)),
    "reelops_writes_lost_total": lambda sb: by_region(sb, sb.tables.lost),
    "reelops_social_mentions_total": lambda sb: by_video(sb, sb.mentions),
    "reelops_video_views_total": lambda sb: by_video(sb, sb.video_views),
    "reelops_spend_usd_total": lambda sb: [((c,), v) for c, v in sb.spend_today().items()],
    "reelops_projected_daily_spend_usd": projected_spend,
    "reelops_spend_data_age_seconds": lambda sb: [((), sb.dt)],
    "reelops_router_decisions_total": router_decisions,
    "reelops_jurisdiction_guard_trips_total": lambda sb: [
        ((j,), float(sb.guard_trips[i])) for i, j in enumerate(sb.jurisdiction_names)
    ],
}


def build_registry(sb: Sandbox) -> CollectorRegistry:
    """A private registry holding only this sandbox's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SandboxCollector(sb))
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
