"""The sandbox's MetricsSource: every logical signal of ports/metrics.py, computed from the model.

Each reader computes what its PromQL would return from Prometheus scraping the sandbox: one-minute
rates from the counter history, p95 over the last minute (starts) or five (uploads), gauges as they
are now. A ``metrics_down`` fault makes every read raise PortError, like an unreachable Prometheus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from ports.interfaces import PortError
from ports.metrics import SignalName
from ports.types import FaultKind, Sample

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

RATE_WINDOW_S = 60.0
PROJECTION_WINDOW_S = 600.0


class SandboxMetrics:
    """MetricsSource: each logical signal computed from the model as its PromQL would."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]:
        if self.sb.faults.is_active(FaultKind.METRICS_DOWN):
            raise PortError("metrics source unavailable (metrics_down fault)")
        now = self.sb.clock.now()
        rows = READERS[SignalName(signal)](self.sb)
        wanted = dict(match or {})
        return [
            Sample(labels=labels, value=float(value), timestamp=now)
            for labels, value in rows
            if all(labels.get(k) == v for k, v in wanted.items())
        ]


Rows = list[tuple[dict[str, str], float]]


def rate_per_min(sb: Sandbox, part: slice, window_s: float = RATE_WINDOW_S) -> np.ndarray:
    """Per-minute rate of a slice of the counter snapshot over the last ``window_s``."""
    if not sb.history:
        return np.zeros(part.stop - part.start)
    t_now, now = sb.history[-1]
    t_old, old = 0.0, np.zeros_like(now)
    for t, snap in sb.history:
        if t >= t_now - window_s - 1e-9:
            if t < t_now:
                t_old, old = t, snap
            break
    span = max(t_now - t_old, 1e-9)
    return np.asarray((now[part] - old[part]) / span * 60.0)


def snapshot_slices(sb: Sandbox) -> dict[str, slice]:
    n, cells, v = len(sb.region_names), sb.tables.throttled.size, len(sb.social.video_ids)
    bounds = {"starts": n, "perceived": n, "throttled": cells, "mentions": v, "views": v, "spend": 1}
    out, at = {}, 0
    for name, size in bounds.items():
        out[name] = slice(at, at + size)
        at += size
    return out


def by_region(sb: Sandbox, values: np.ndarray) -> Rows:
    return [({"region": r}, float(values[i])) for i, r in enumerate(sb.region_names)]


def by_table(sb: Sandbox, values: np.ndarray) -> Rows:
    return [
        ({"table": t, "region": r}, float(values[i, k]))
        for i, r in enumerate(sb.region_names)
        for k, t in enumerate(sb.table_names)
    ]


def by_video(sb: Sandbox, values: np.ndarray) -> Rows:
    return [
        ({"video_id": v, "region": sb.social.regions[i]}, float(values[i])) for i, v in enumerate(sb.social.video_ids)
    ]


def read_start_p95(sb: Sandbox) -> Rows:
    return [({"region": r}, sb.start_recent.quantile(0.95, i)) for i, r in enumerate(sb.region_names)]


def read_failure_ratio(sb: Sandbox) -> Rows:
    s = snapshot_slices(sb)
    starts, failed = rate_per_min(sb, s["starts"]), rate_per_min(sb, s["perceived"])
    return by_region(sb, failed / np.maximum(starts, 1e-9))


def read_upload_p95(sb: Sandbox) -> Rows:
    return [({"jurisdiction": j}, sb.upload_recent.quantile(0.95, i)) for i, j in enumerate(sb.jurisdiction_names)]


def read_queue_depth(sb: Sandbox) -> Rows:
    return [
        ({"pool": p.spec.name, "region": p.spec.region, "jurisdiction": p.jurisdiction}, p.depth)
        for p in sb.pools.pools
    ]


def read_pool_instances(sb: Sandbox) -> Rows:
    rows: Rows = []
    for p in sb.pools.pools:
        rows.append(({"pool": p.spec.name, "state": "running"}, float(p.running)))
        rows.append(({"pool": p.spec.name, "state": "starting"}, float(p.starting_count)))
    return rows


def read_spend(sb: Sandbox) -> Rows:
    return [({"cost_center": c}, v) for c, v in sb.spend_today().items()]


def read_projected(sb: Sandbox) -> Rows:
    per_min = float(rate_per_min(sb, snapshot_slices(sb)["spend"], PROJECTION_WINDOW_S)[0])
    now = datetime.fromtimestamp(sb.clock.now(), UTC)
    left_s = 86_400.0 - (now.hour * 3600 + now.minute * 60 + now.second)
    return [({}, sum(sb.spend_today().values()) + per_min * left_s / 60.0)]


READERS = {
    SignalName.VIDEO_START_P95_MS: read_start_p95,
    SignalName.VIDEO_STARTS_PER_MIN: lambda sb: by_region(sb, rate_per_min(sb, snapshot_slices(sb)["starts"])),
    SignalName.VIDEO_START_FAILURE_RATIO: read_failure_ratio,
    SignalName.CACHE_HIT_RATIO: lambda sb: by_region(sb, sb.hit_ratio),
    SignalName.ENCODE_QUEUE_DEPTH: read_queue_depth,
    SignalName.POOL_INSTANCES: read_pool_instances,
    SignalName.UPLOAD_TO_LIVE_P95_S: read_upload_p95,
    SignalName.TABLE_CONSUMED_WCU: lambda sb: by_table(sb, sb.tables.consumed),
    SignalName.TABLE_CAPACITY_WCU: lambda sb: by_table(sb, sb.tables.capacity()),
    SignalName.TABLE_THROTTLED_PER_MIN: lambda sb: by_table(
        sb, rate_per_min(sb, snapshot_slices(sb)["throttled"]).reshape(sb.tables.throttled.shape)
    ),
    SignalName.WRITE_BUFFER_DEPTH: lambda sb: by_region(sb, sb.tables.queue.sum(axis=1)),
    SignalName.WRITES_LOST: lambda sb: by_region(sb, sb.tables.lost),
    SignalName.MENTIONS_PER_MIN: lambda sb: by_video(sb, rate_per_min(sb, snapshot_slices(sb)["mentions"])),
    SignalName.VIEWS_PER_MIN: lambda sb: by_video(sb, rate_per_min(sb, snapshot_slices(sb)["views"])),
    SignalName.SPEND_TODAY_USD: read_spend,
    SignalName.PROJECTED_DAILY_SPEND_USD: read_projected,
}
